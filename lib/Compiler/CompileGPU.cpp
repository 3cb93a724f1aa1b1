//===- CompileGPU.cpp - moe modules to PTX and cubins ---------------------===//
#include "moec/Compiler/CompileGPU.h"

#include "moec/Compiler/Compile.h"
#include "moec/Compiler/ModuleBuilder.h"
#include "moec/Runtime/CPUFeatures.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Target/CPUTarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace moec;

namespace {

/// Runs moe-gpu-pipeline on `module`, diagnostics into the Status.
Status lowerForGPU(ModuleOp module, const GPUPipelineConfig &config) {
  if (StatusOr<std::string> features = config.features(); !features.ok())
    return features.status();
  PassManager pm(module.getContext());
  buildGPUPipeline(pm, config);
  return runPipeline(pm, module, "lowering for the GPU (" + config.chip + ")");
}

} // namespace

StatusOr<std::string> moec::compileToPTX(ModuleOp module,
                                         GPUPipelineConfig config) {
  config.format = "isa";
  if (Status s = lowerForGPU(module, config); !s.ok())
    return s;
  std::string ptx;
  int binaries = 0;
  module.walk([&](gpu::BinaryOp binary) {
    ++binaries;
    for (Attribute object : binary.getObjectsAttr())
      ptx = cast<gpu::ObjectAttr>(object).getObject().str();
  });
  if (binaries != 1)
    return Status::error("expected the GPU lowering to make one kernel "
                         "module, found " +
                         std::to_string(binaries));
  return ptx;
}

StatusOr<std::string>
moec::compileModuleToPTX(const ModuleSpec &spec,
                         const GPUPipelineConfig &config) {
  std::unique_ptr<MLIRContext> context = makeCompilerContext();
  OwningOpRef<ModuleOp> module = buildModule(*context, spec);
  return compileToPTX(*module, config);
}

Status moec::compileModuleForGPUToFile(const ModuleSpec &spec,
                                       GPUPipelineConfig config,
                                       const std::string &outputPath) {
  std::unique_ptr<MLIRContext> context = makeCompilerContext();
  OwningOpRef<ModuleOp> module = buildModule(*context, spec);
  config.format = "bin";
  if (Status s = lowerForGPU(*module, config); !s.ok())
    return s;
  // The host side only allocates and launches: code for any x86-64.
  StatusOr<CPUTarget> host = CPUTarget::lookup("x86-64");
  if (!host.ok())
    return host.status();
  return writeSharedLibrary(*module, *host,
                            {{kSignatureSymbol, spec.signature()},
                             {kCPUFeaturesSymbol, host->requiredFeatures()},
                             {kGPUArchSymbol, config.chip}},
                            /*openMP=*/false, outputPath);
}
