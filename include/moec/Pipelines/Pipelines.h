//===- Pipelines.h - moec pass pipelines -----------------------*- C++ -*-===//
#ifndef MOEC_PIPELINES_PIPELINES_H
#define MOEC_PIPELINES_PIPELINES_H

#include "moec/Pipelines/CPUPipelineConfig.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace moec {

/// Options of `moe-decompose-pipeline`.
struct DecomposePipelineOptions
    : mlir::PassPipelineOptions<DecomposePipelineOptions> {
  Option<bool> foldSharedExperts{
      *this, "fold-shared-experts",
      llvm::cl::desc("Run shared experts as always-on experts inside the "
                     "grouped expert op"),
      llvm::cl::init(true)};
  Option<int64_t> latentExpandMinTokens{
      *this, "latent-expand-min-tokens",
      llvm::cl::desc("moe.latent_attention: expand keys and values in calls "
                     "with at least this many new tokens, absorb kv_b_proj "
                     "in the others (0: always absorb, 1: always expand)"),
      llvm::cl::init(128)};
};

/// One-shot bufferization of whole modules as moec's pipelines run it
/// (function boundaries with identity layouts, the calling convention of
/// the packed entry points), then CSE and canonicalisation: in-place slice
/// updates leave copies of a subview onto an equal subview, which CSE makes
/// one value and canonicalisation drops. Empty-tensor elimination runs
/// first, so a value inserted into a larger tensor is computed in place.
void addBufferization(mlir::OpPassManager &pm);

/// moe.block -> routing, dispatch, grouped experts and combine, and
/// moe.latent_attention -> its absorbed (or expanded) form, simplified.
void buildDecomposePipeline(mlir::OpPassManager &pm,
                            const DecomposePipelineOptions &options);

/// The textual options of `moe-cpu-pipeline`, parsed into a
/// CPUPipelineConfig by config().
struct CPUPipelineOptions : mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> foldSharedExperts{
      *this, "fold-shared-experts",
      llvm::cl::desc("Run shared experts as always-on experts inside the "
                     "grouped expert op"),
      llvm::cl::init(true)};
  Option<bool> fuseExperts{
      *this, "fuse-experts",
      llvm::cl::desc("Fuse permute + grouped experts + combine and lower "
                     "them to the tiled vector kernels (off: the unfused "
                     "linalg lowering)"),
      llvm::cl::init(true)};
  Option<std::string> cpu{
      *this, "cpu",
      llvm::cl::desc("The CPU whose vector registers size the kernels' "
                     "0 (default) tiling fields: host or an LLVM x86-64 CPU "
                     "name (x86-64-v3, x86-64-v4, znver4, ...)"),
      llvm::cl::init("host")};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector and outputs per weight panel in "
                     "the kernels (0: the CPU's, 16 with AVX-512, 8 with "
                     "AVX2)"),
      llvm::cl::init(0)};
  Option<int64_t> rows{
      *this, "rows",
      llvm::cl::desc("Activation rows per register tile (0: the CPU's, 8 with "
                     "AVX-512, 5 with AVX2)"),
      llvm::cl::init(0)};
  Option<int64_t> gateUpCols{
      *this, "gate-up-cols",
      llvm::cl::desc("Weight panels (rows on the stored layout) per gate/up "
                     "register tile (0: the CPU's, 1)"),
      llvm::cl::init(0)};
  Option<int64_t> downCols{
      *this, "down-cols",
      llvm::cl::desc("Weight panels (rows on the stored layout) per down "
                     "register tile (0: the CPU's, 2)"),
      llvm::cl::init(0)};
  Option<int64_t> gateUpBlock{
      *this, "gate-up-block",
      llvm::cl::desc("Expert-width rows per gate/up work item"),
      llvm::cl::init(64)};
  Option<int64_t> downBlock{*this, "down-block",
                            llvm::cl::desc("Hidden columns per down work item"),
                            llvm::cl::init(64)};
  Option<int64_t> latentExpandMinTokens{
      *this, "latent-expand-min-tokens",
      llvm::cl::desc("moe.latent_attention: expand keys and values in calls "
                     "with at least this many new tokens, absorb kv_b_proj "
                     "in the others (0: always absorb, 1: always expand)"),
      llvm::cl::init(128)};
  Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the expert kernels' work items on all cores "
                     "(OpenMP)"),
      llvm::cl::init(true)};

  Option<bool> gpuKernelsOnCPU{
      *this, "gpu-kernels-on-cpu",
      llvm::cl::desc("Lower the MLP ops with the GPU lowering and run its "
                     "kernels on the CPU, one thread at a time (tests the GPU "
                     "kernels without a GPU)"),
      llvm::cl::init(false)};
  CPUPipelineConfig config() const;
};

/// moe ops on tensors -> LLVM dialect for the host CPU: decompose, lower to
/// linalg and routing loops, bufferize, free temporaries, lower to LLVM.
/// Public functions take and return memrefs (identity layout).
void buildCPUPipeline(mlir::OpPassManager &pm, const CPUPipelineConfig &config);

/// Registers every moec pipeline with the global pass registry.
void registerPipelines();

} // namespace moec

#endif // MOEC_PIPELINES_PIPELINES_H
