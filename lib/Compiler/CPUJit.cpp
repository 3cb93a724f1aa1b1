//===- CPUJit.cpp - compile moe modules for the host and run them ---------===//
#include "moec/Compiler/CPUJit.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace moec;

namespace {

class JitModule : public CompiledModule {
public:
  JitModule(std::unique_ptr<ExecutionEngine> engine, std::string signature)
      : engine(std::move(engine)), sig(std::move(signature)) {}
  const std::string &signature() const override { return sig; }
  std::string describe() const override { return "the JIT-compiled module"; }
  StatusOr<PackedFunction> lookup(const std::string &function) const override {
    auto address = engine->lookup(kEntryPointPrefix + function);
    if (!address) {
      llvm::consumeError(address.takeError());
      return Status::error(describe() + " has no function " + function);
    }
    return reinterpret_cast<PackedFunction>(*address);
  }

private:
  std::unique_ptr<ExecutionEngine> engine;
  std::string sig;
};

} // namespace

StatusOr<std::unique_ptr<CompiledModule>>
moec::compileForThisCPU(ModuleOp module, const CompileOptions &options,
                        const std::string &signature) {
  // Code for another CPU can be compiled ahead of time, but not run here.
  StatusOr<CPUTarget> target = CPUTarget::lookup(options.cpu);
  if (!target.ok())
    return target.status();
  if (Status s = target->checkRunsOnHost(); !s.ok())
    return Status::error(s.message() +
                         "; compile it ahead of time (moe-compile --cpu " +
                         options.cpu + ") and run it on such a CPU");
  StatusOr<std::unique_ptr<llvm::TargetMachine>> machine =
      targetMachineFor(*target);
  if (!machine.ok())
    return machine.status();
  int64_t steps = 0;
  if (Status lowered = lowerToLLVMDialect(module, options, &steps);
      !lowered.ok())
    return lowered;

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  // The optimising transformer must outlive create(): options hold a
  // function_ref to it.
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                machine->get());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // Parallel kernels call the OpenMP runtime.
  SmallVector<StringRef> libraries;
  if (options.parallel)
    libraries.push_back(MOEC_LIBOMP_PATH);
  engineOptions.sharedLibPaths = libraries;
  std::string entryPoint;
  for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
    if (fn.getName().starts_with(kEntryPointPrefix) && entryPoint.empty())
      entryPoint = fn.getName().str();
  auto engine =
      ExecutionEngine::create(module, engineOptions, std::move(*machine));
  if (!engine)
    return Status::error("JIT compilation failed: " +
                         llvm::toString(engine.takeError()));
  if (options.progress)
    options.progress(steps - 1, steps);
  // The JIT generates the code of the whole module at its first lookup:
  // have it do so now, not at the first call.
  if (!entryPoint.empty())
    if (auto address = (*engine)->lookup(entryPoint); !address)
      return Status::error("JIT compilation failed: " +
                           llvm::toString(address.takeError()));
  auto jit = std::make_unique<JitModule>(std::move(*engine), signature);
  if (options.progress)
    options.progress(steps, steps);
  return std::unique_ptr<CompiledModule>(std::move(jit));
}
