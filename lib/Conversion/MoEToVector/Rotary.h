//===- Rotary.h - RoPE angles and rotations in kernels ---------*- C++ -*-===//
#ifndef MOEC_LIB_CONVERSION_MOETOVECTOR_ROTARY_H
#define MOEC_LIB_CONVERSION_MOETOVECTOR_ROTARY_H

#include "moec/Conversion/Emitter.h"

#include "MoE/MoEAttrs.h"

namespace moec::lowering {

/// cos and sin [T, head_dim / 2] (f32 buffers) of the RoPE angles of rows
/// at positions start .. start + T - 1, times the RoPE's cos/sin factor.
/// Angles are computed in f64 from inverse frequencies folded at compile
/// time, then rounded once.
struct RotaryTable {
  mlir::Value cos, sin;
  int64_t half;
};
RotaryTable buildRotaryTable(Emitter &e, mlir::Value start, mlir::Value tokens,
                             mlir::moe::RoPEAttr rope);

/// Pair j (a, b) of row `t` (the RoPE's getPairOffsets(j)) turned by angle
/// j: (a cos - b sin, b cos + a sin).
std::pair<mlir::Value, mlir::Value> rotatePair(Emitter &e,
                                               const RotaryTable &table,
                                               mlir::Value t, mlir::Value j,
                                               mlir::Value a, mlir::Value b);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOVECTOR_ROTARY_H
