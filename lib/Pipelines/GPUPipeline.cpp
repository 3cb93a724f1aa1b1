//===- GPUPipeline.cpp - moe ops to NVVM, PTX and cubins ------------------===//
#include "moec/Pipelines/GPUPipeline.h"

#include "ReportError.h"

#include "moec/Conversion/MoEToGPU.h"
#include "moec/Pipelines/Pipelines.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/OptimizeForNVVM.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

moec::StatusOr<std::string> moec::GPUPipelineConfig::features() const {
  // The oldest PTX ISA that has the chip, and that CUDA 12+ ptxas reads.
  static const std::pair<const char *, const char *> kChips[] = {
      {"sm_80", "+ptx80"}, {"sm_86", "+ptx80"},  {"sm_89", "+ptx80"},
      {"sm_90", "+ptx80"}, {"sm_90a", "+ptx80"},
  };
  for (auto [name, ptx] : kChips)
    if (chip == name)
      return std::string(ptx);
  return moec::Status::error("unknown GPU architecture '" + chip +
                             "': use sm_80, sm_86, sm_89, sm_90 or sm_90a");
}

void moec::buildGPUPipeline(OpPassManager &pm,
                            const GPUPipelineConfig &config) {
  StatusOr<std::string> features = config.features();
  if (!features.ok()) {
    pm.addPass(
        createReportError("moe-gpu-pipeline: " + features.status().message()));
    return;
  }
  if (config.format != "isa" && config.format != "bin" &&
      config.format != "fatbin") {
    pm.addPass(createReportError("moe-gpu-pipeline: unknown format '" +
                                 config.format +
                                 "': use isa (PTX), bin (cubin) or fatbin"));
    return;
  }

  // moe ops -> kernels on device buffers. Multi-head latent attention
  // absorbs kv_b_proj at every token count: attention on the compressed
  // cache itself.
  DecomposePipelineOptions decompose;
  decompose.foldSharedExperts = true;
  decompose.latentExpandMinTokens = 0;
  buildDecomposePipeline(pm, decompose);
  // RoPE and residual adds join the linear before them (its kernels'
  // store).
  pm.addPass(createMoEFuseLinearEpilogues());
  pm.addPass(createMoEFuseExpertFFN());
  pm.addPass(createConvertMoEToGPU());
  // The rest of a decoder layer (residual adds no kernel took, the KV
  // cache's layout and rounding, slices) as linalg, then after bufferization as
  // parallel loops, each run as a kernel.
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferization(pm);
  pm.addPass(createMoEExpandStridedCopies());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createMoEGPUParallelLoopsToKernels());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createMoEGPUDeviceBuffers());
  // The host's choices between kernel forms as predicated launches, so that
  // each function stays one async region below.
  pm.addNestedPass<func::FuncOp>(createMoEGPUPredicateLaunches());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createMoEGPUMergeKernelModules());
  // Launches, copies and frees in order on one stream, waited for once at
  // the end: no synchronisation between kernels.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());

  // Both sides to the LLVM dialect (as gpu-lower-to-nvvm-pipeline does).
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = config.chip;
  target.features = *features;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  pm.addNestedPass<gpu::GPUModuleOp>(createStripDebugInfoPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(LLVM::createNVVMOptimizeForTargetPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());

  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = config.format;
  binary.toolkitPath = config.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createMoEEmitPackedEntryPoints());
}
