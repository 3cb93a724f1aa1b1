//===- Pipelines.cpp - moec pass pipelines --------------------------------===//
#include "moec/Pipelines/Pipelines.h"

#include "moec/Pipelines/GPUPipeline.h"

#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void moec::buildDecomposePipeline(OpPassManager &pm,
                                  const DecomposePipelineOptions &options) {
  pm.addPass(createMoEDecomposeBlock());
  MoEDecomposeLatentAttentionOptions latent;
  latent.expandMinTokens = options.latentExpandMinTokens;
  pm.addPass(createMoEDecomposeLatentAttention(latent));
  // Folding matches the decomposed form before canonicalisation rewrites it
  // (e.g. the closed-form dispatch of k = E).
  if (options.foldSharedExperts)
    pm.addPass(createMoEFoldSharedExperts());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void moec::addBufferization(OpPassManager &pm) {
  // A value computed into a fresh tensor and then inserted into another
  // (the new keys and values, transposed into the KV cache) is computed in
  // place instead: no temporary buffer, no copy, and on a GPU one kernel
  // instead of two.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

void moec::registerPipelines() {
  PassPipelineRegistration<DecomposePipelineOptions>(
      "moe-decompose-pipeline",
      "Decompose moe.block into routing, dispatch, grouped expert and "
      "combine ops, with shared experts folded in",
      buildDecomposePipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "moe-cpu-pipeline", "Lower moe ops to the LLVM dialect for the host CPU",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildCPUPipeline(pm, options.config());
      });
  PassPipelineRegistration<GPUPipelineOptions>(
      "moe-gpu-pipeline",
      "Lower the moe ops of an MLP layer to kernels for an NVIDIA GPU "
      "(NVVM, then PTX or a cubin) and host code that launches them",
      [](OpPassManager &pm, const GPUPipelineOptions &options) {
        buildGPUPipeline(pm, options.config());
      });
}
