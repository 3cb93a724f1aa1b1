//===- Compile.cpp - moe modules to native code for this CPU --------------===//
#include "moec/Compiler/Compile.h"

#include "moec/Compiler/CPUJit.h"
#include "moec/Compiler/ModuleBuilder.h"
#include "moec/Pipelines/Pipelines.h"
#include "moec/Pipelines/Registration.h"
#include "moec/Runtime/CPUFeatures.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Runtime/ModuleFile.h"
#include "moec/Support/FileIO.h"
#include "moec/Target/CPUTarget.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace moec;

namespace {

/// Steps after the pass pipeline: LLVM's optimisation, code generation.
constexpr int64_t kCodegenSteps = 2;

/// Reports each finished top-level pass of a pipeline.
class ProgressInstrumentation : public PassInstrumentation {
public:
  ProgressInstrumentation(Operation *root, int64_t total,
                          std::function<void(int64_t, int64_t)> report)
      : root(root), total(total), report(std::move(report)) {}
  void runAfterPass(Pass *, Operation *op) override {
    if (op == root)
      report(++done, total);
  }

private:
  Operation *root;
  int64_t total, done = 0;
  std::function<void(int64_t, int64_t)> report;
};

} // namespace

StatusOr<WeightLayout> moec::weightLayoutFor(const CompileOptions &options) {
  WeightLayout layout;
  if (!options.fuseExperts || options.gpuKernelsOnCPU)
    return layout;
  StatusOr<CPUTarget> target = CPUTarget::lookup(options.cpu);
  if (!target.ok())
    return target.status();
  layout.panel = target->tiling(options.tiling).vectorWidth;
  return layout;
}

StatusOr<std::unique_ptr<llvm::TargetMachine>>
moec::targetMachineFor(const CPUTarget &target) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::orc::JITTargetMachineBuilder builder{
      llvm::Triple(llvm::sys::getProcessTriple())};
  builder.setCPU(target.cpu);
  builder.addFeatures(target.features);
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  builder.setRelocationModel(llvm::Reloc::PIC_);
  auto machine = builder.createTargetMachine();
  if (!machine)
    return Status::error("cannot target CPU " + target.cpu + ": " +
                         llvm::toString(machine.takeError()));
  return std::move(*machine);
}

Status moec::runPipeline(PassManager &pm, ModuleOp module,
                         const std::string &what) {
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  if (failed(pm.run(module)))
    return Status::error(what + " failed:\n" + diagnostics);
  return Status();
}

Status moec::lowerToLLVMDialect(ModuleOp module, const CompileOptions &opts,
                                int64_t *steps) {
  // The pipeline fills the tiling's 0 fields from the CPU; an unknown one
  // is reported here rather than as a failed pass.
  if (StatusOr<CPUTarget> target = CPUTarget::lookup(opts.cpu); !target.ok())
    return target.status();
  PassManager pm(module.getContext());
  buildCPUPipeline(pm, opts);
  const int64_t total = static_cast<int64_t>(pm.size()) + kCodegenSteps;
  if (steps)
    *steps = total;
  if (opts.progress)
    pm.addInstrumentation(std::make_unique<ProgressInstrumentation>(
        module.getOperation(), total, opts.progress));
  return runPipeline(pm, module, "lowering to LLVM");
}

Status moec::compileToSharedLibrary(ModuleOp module, const CompileOptions &opts,
                                    const std::string &signature,
                                    const std::string &outputPath) {
  int64_t steps = 0;
  if (Status lowered = lowerToLLVMDialect(module, opts, &steps); !lowered.ok())
    return lowered;
  StatusOr<CPUTarget> target = CPUTarget::lookup(opts.cpu);
  if (!target.ok())
    return target.status();
  std::function<void(int64_t)> progress;
  if (opts.progress)
    progress = [&](int64_t done) {
      opts.progress(steps - kCodegenSteps + done, steps);
    };
  return writeSharedLibrary(module, *target,
                            {{kSignatureSymbol, signature},
                             {kCPUFeaturesSymbol, target->requiredFeatures()}},
                            /*openMP=*/true, outputPath, progress);
}

Status moec::writeSharedLibrary(
    ModuleOp module, const CPUTarget &target,
    const std::vector<std::pair<std::string, std::string>> &strings,
    bool openMP, const std::string &outputPath,
    const std::function<void(int64_t)> &progress) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return Status::error("translation to LLVM IR failed");

  // Code for the target's CPU and features, position independent for a
  // shared library.
  StatusOr<std::unique_ptr<llvm::TargetMachine>> machine =
      targetMachineFor(target);
  if (!machine.ok())
    return machine.status();
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, machine->get())(llvmModule.get()))
    return Status::error("optimising LLVM IR failed: " +
                         llvm::toString(std::move(err)));
  if (progress)
    progress(1);

  for (const auto &[symbol, value] : strings) {
    auto *text = llvm::ConstantDataArray::getString(llvmContext, value);
    new llvm::GlobalVariable(*llvmModule, text->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, text, symbol);
  }

  // Object file, then `cc -shared` next to the output.
  llvm::SmallString<128> object;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("moec", "o", fd, object))
    return Status::error("cannot create a temporary object file: " +
                         ec.message());
  llvm::FileRemover removeObject(object);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    llvm::legacy::PassManager codegen;
    if ((*machine)->addPassesToEmitFile(codegen, os, nullptr,
                                        llvm::CodeGenFileType::ObjectFile))
      return Status::error("this host's target cannot emit object files");
    codegen.run(*llvmModule);
  }
  if (progress)
    progress(2);

  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return Status::error("cannot find the C compiler driver `cc` to link " +
                         outputPath);
  llvm::SmallString<128> library;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("moec", "so", library))
    return Status::error("cannot create a temporary shared library: " +
                         ec.message());
  llvm::FileRemover removeLibrary(library);
  llvm::StringRef libomp = MOEC_LIBOMP_PATH;
  std::string rpath =
      "-Wl,-rpath," + llvm::sys::path::parent_path(libomp).str();
  llvm::SmallVector<llvm::StringRef> args{*cc, "-shared", "-o", library,
                                          object};
  if (openMP) {
    args.push_back(libomp);
    args.push_back(rpath);
  }
  args.push_back("-lm");
  std::string error;
  if (llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &error) != 0)
    return Status::error("linking " + outputPath + " failed" +
                         (error.empty() ? "" : ": " + error));
  StatusOr<std::string> image =
      readRegularFile(library.str().str(), kMaxModuleFileBytes);
  if (!image.ok())
    return image.status();
  return writeFileAtomically(outputPath, {*image, moduleSeal(*image)});
}

std::unique_ptr<MLIRContext> moec::makeCompilerContext() {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  return std::make_unique<MLIRContext>(registry);
}

StatusOr<std::unique_ptr<CompiledModule>>
moec::compileModule(const ModuleSpec &spec, const CompileOptions &options) {
  std::unique_ptr<MLIRContext> context = makeCompilerContext();
  OwningOpRef<ModuleOp> module = buildModule(*context, spec);
  return compileForThisCPU(*module, options, spec.signature());
}

Status moec::compileModuleToFile(const ModuleSpec &spec,
                                 const CompileOptions &options,
                                 const std::string &outputPath) {
  std::unique_ptr<MLIRContext> context = makeCompilerContext();
  OwningOpRef<ModuleOp> module = buildModule(*context, spec);
  return compileToSharedLibrary(*module, options, spec.signature(), outputPath);
}

std::string moec::printModule(const ModuleSpec &spec) {
  std::unique_ptr<MLIRContext> context = makeCompilerContext();
  OwningOpRef<ModuleOp> module = buildModule(*context, spec);
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}
