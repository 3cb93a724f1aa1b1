//===- MergeKernelModules.cpp - the moe-gpu-merge-kernel-modules pass -----===//
#include "moec/Conversion/MoEToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace moec {
#define GEN_PASS_DEF_MOEGPUMERGEKERNELMODULES
#include "moec/Conversion/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

struct MoEGPUMergeKernelModules
    : moec::impl::MoEGPUMergeKernelModulesBase<MoEGPUMergeKernelModules> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto modules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    gpu::GPUModuleOp into = modules.front();
    SymbolTable kernels(into);
    // Where each kernel now lives: (old module, old name) -> new name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> moved;
    for (Operation &op : into.getBody()->without_terminator())
      if (auto symbol = dyn_cast<SymbolOpInterface>(op))
        moved[{into.getNameAttr(), symbol.getNameAttr()}] =
            symbol.getNameAttr();
    for (gpu::GPUModuleOp from : llvm::drop_begin(modules)) {
      for (Operation &op :
           llvm::make_early_inc_range(from.getBody()->without_terminator())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (!symbol) {
          op.emitError("moe-gpu-merge-kernel-modules: expected only symbols "
                       "in a kernel module");
          return signalPassFailure();
        }
        StringAttr oldName = symbol.getNameAttr();
        op.remove();
        // insert() renames the symbol if the name is taken.
        moved[{from.getNameAttr(), oldName}] = kernels.insert(&op);
      }
      from.erase();
    }
    StringAttr name = into.getNameAttr();
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it =
          moved.find({kernel.getRootReference(), kernel.getLeafReference()});
      if (it == moved.end())
        return;
      launch.setKernelAttr(
          SymbolRefAttr::get(name, {FlatSymbolRefAttr::get(it->second)}));
    });
    // The merged module holds the layer's kernels, whatever the first one
    // was called (launches follow the rename); a taken name stays unused.
    if (!SymbolTable::lookupSymbolIn(module, kName))
      (void)SymbolTable(module).rename(into, kName);
  }

  static constexpr llvm::StringLiteral kName = "moe_kernels";
};

} // namespace
