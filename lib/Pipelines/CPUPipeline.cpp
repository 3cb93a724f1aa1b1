//===- CPUPipeline.cpp - moe ops to LLVM for the host CPU -----------------===//
#include "moec/Pipelines/Pipelines.h"

#include "ReportError.h"

#include "moec/Conversion/MoEToGPU.h"
#include "moec/Conversion/MoEToLinalg.h"
#include "moec/Conversion/MoEToVector.h"
#include "moec/Target/CPUTarget.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

moec::CPUPipelineConfig moec::CPUPipelineOptions::config() const {
  CPUPipelineConfig c;
  c.cpu = cpu;
  c.foldSharedExperts = foldSharedExperts;
  c.fuseExperts = fuseExperts;
  c.parallel = parallel;
  c.latentExpandMinTokens = latentExpandMinTokens;
  c.gpuKernelsOnCPU = gpuKernelsOnCPU;
  c.tiling = {vectorWidth, rows, gateUpCols, downCols, gateUpBlock, downBlock};
  return c;
}

void moec::buildCPUPipeline(OpPassManager &pm,
                            const CPUPipelineConfig &options) {
  DecomposePipelineOptions decompose;
  // The GPU kernels take shared experts as experts.
  decompose.foldSharedExperts =
      options.foldSharedExperts || options.gpuKernelsOnCPU;
  decompose.latentExpandMinTokens = options.latentExpandMinTokens;
  buildDecomposePipeline(pm, decompose);
  if (options.gpuKernelsOnCPU) {
    pm.addPass(createMoEFuseLinearEpilogues());
    pm.addPass(createMoEFuseExpertFFN());
    ConvertMoEToGPUOptions gpu;
    gpu.partial = true;
    pm.addPass(createConvertMoEToGPU(gpu));
    // As the GPU pipeline does, so that the kernels checked here are the
    // ones a GPU runs (a product's two forms as one kernel).
    pm.addNestedPass<func::FuncOp>(createMoEGPUPredicateLaunches());
    pm.addPass(createMoEGPULaunchToLoops());
  } else {
    pm.addPass(createMoEFuseLinearEpilogues());
  }
  if (options.fuseExperts) {
    pm.addPass(createMoEFuseExpertFFN());
    StatusOr<CPUTarget> target = CPUTarget::lookup(options.cpu);
    if (!target.ok()) {
      pm.addPass(
          createReportError("moe-cpu-pipeline: " + target.status().message()));
      return;
    }
    pm.addPass(createConvertMoEToVector(target->tiling(options.tiling)));
  }
  pm.addPass(createConvertMoEToLinalg());
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  addBufferization(pm);
  pm.addPass(createMoEExpandStridedCopies());
  bufferization::buildBufferDeallocationPipeline(pm);

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  if (options.parallel) {
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the alloca scopes the OpenMP conversion wraps loop bodies in
    // (none of ours allocates), before control flow makes them multi-block.
    pm.addPass(createCanonicalizerPass());
  } else {
    pm.addPass(createForallToForLoopPass());
  }
  pm.addPass(createSCFToControlFlowPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createMoEEmitPackedEntryPoints());
}
