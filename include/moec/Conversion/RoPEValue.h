//===- RoPEValue.h - one value of a row after RoPE -------------*- C++ -*-===//
//
// RoPE one value at a time: the straightforward lowering of moe.rope on the
// CPU (linalg.generic) and its GPU kernel (a thread per value) share it.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_CONVERSION_ROPEVALUE_H
#define MOEC_CONVERSION_ROPEVALUE_H

#include "MoE/MoEAttrs.h"
#include "moec/Conversion/Emitter.h"

namespace moec::lowering {

/// Value `c` of a row of heads of the RoPE's head_dim, at position
/// `position`, after RoPE: its pair j's first value is x_j (rotate-half) or
/// x_2j (interleaved) and its partner sits half a head (or one value)
/// further on; the pair turns by angle position * freq(j), computed in f64,
/// with cos and sin times the RoPE's factor and rounded once:
/// a' = a cos - b sin, b' = b cos + a sin. `freq(e, j)` gives pair j's
/// inverse frequency (f64), `load(e, column)` the row's value there (f32).
mlir::Value
emitRoPEValue(Emitter &e, mlir::Value c, mlir::Value position,
              mlir::moe::RoPEAttr rope,
              llvm::function_ref<mlir::Value(Emitter &, mlir::Value)> freq,
              llvm::function_ref<mlir::Value(Emitter &, mlir::Value)> load);

/// Pair j = (a, b) of a head at `position` after RoPE, as emitRoPEValue
/// turns each of its values: (a cos - b sin, b cos + a sin). For kernels
/// that hold both values of a pair.
std::pair<mlir::Value, mlir::Value>
emitRoPEPair(Emitter &e, mlir::Value j, mlir::Value position,
             mlir::moe::RoPEAttr rope,
             llvm::function_ref<mlir::Value(Emitter &, mlir::Value)> freq,
             mlir::Value a, mlir::Value b);

} // namespace moec::lowering

#endif // MOEC_CONVERSION_ROPEVALUE_H
