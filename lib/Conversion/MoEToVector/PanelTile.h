//===- PanelTile.h - outer-product tiles over weights in panels -*- C++ -*-===//
//
// The micro-kernel of the expert kernels when the weights come in panels
// (moe.unpack_weights): at each input step k, one vector of P consecutive
// outputs of a panel times a broadcast activation element, accumulated in
// rows x panels vector registers. Every weight element is loaded once per
// register tile with no reduction across lanes, the classic formulation of
// fast CPU matrix products.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_CONVERSION_MOETOVECTOR_PANELTILE_H
#define MOEC_LIB_CONVERSION_MOETOVECTOR_PANELTILE_H

#include "DotTile.h"

namespace moec::lowering {

/// Weights in panels as a buffer [G, panels, groups * P * Q] (the packed
/// [G, panels, groups, P, Q] with its inner dimensions collapsed).
struct Panels {
  mlir::Value mem;
  int64_t panel = 0, kPack = 1;
  /// Inputs (K) of each matrix.
  int64_t inputs = 0;
};

/// Panel `index` of matrix `matrix`.
struct PanelRef {
  const Panels *panels;
  mlir::Value matrix, index;
};

/// The buffer of a moe.unpack_weights' source, collapsed for the kernels.
Panels panelsOf(Emitter &e, mlir::Value packed, int64_t inputs);

/// Sums over k in [0, K) of as[a][k] * panel[k] for each activation row a
/// and each panel of every set: acc[set][panel][row], vectors of P f32
/// lanes (one per output of the panel). All panels share P, Q and K.
llvm::SmallVector<llvm::SmallVector<llvm::SmallVector<mlir::Value>>>
panelTile(Emitter &e, llvm::ArrayRef<Row> as,
          llvm::ArrayRef<llvm::SmallVector<PanelRef>> sets);

/// Register tiles over rows [lo, hi): full tiles of `rows` rows, then one
/// tile of the remaining 1 .. rows-1 rows (one specialised body per count,
/// selected by scf.index_switch). `body` gets the tile's row ids.
void forEachRowTile(
    Emitter &e, mlir::Value lo, mlir::Value hi, int64_t rows,
    llvm::function_ref<void(Emitter &, llvm::ArrayRef<mlir::Value>)> body);

/// The panel tiles of work item `block` out of `count` panels split into
/// blocks of `perBlock`: tiles of `cols` panels, and a narrower last one.
/// `body` gets the tile's first panel and its width (static).
void forEachPanelTile(
    Emitter &e, mlir::Value block, int64_t count, int64_t perBlock,
    int64_t cols,
    llvm::function_ref<void(Emitter &, mlir::Value, int64_t)> body);

} // namespace moec::lowering

#endif // MOEC_LIB_CONVERSION_MOETOVECTOR_PANELTILE_H
