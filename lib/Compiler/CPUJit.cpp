//===- CPUJit.cpp - compile moe modules for the host and run them ---------===//
#include "moec/Compiler/CPUJit.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace moec;

CPUJit::CPUJit(std::unique_ptr<ExecutionEngine> engine)
    : engine(std::move(engine)) {}
CPUJit::~CPUJit() = default;

StatusOr<std::unique_ptr<CPUJit>>
CPUJit::compile(ModuleOp module, const CompileOptions &compileOptions) {
  MLIRContext *ctx = module.getContext();
  if (Status lowered = lowerToLLVMDialect(module, compileOptions);
      !lowered.ok())
    return lowered;

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);

  // The optimising transformer must outlive create(): options hold a
  // function_ref to it.
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                /*targetMachine=*/nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // Parallel kernels call the OpenMP runtime.
  SmallVector<StringRef> libraries;
  if (compileOptions.parallel)
    libraries.push_back(MOEC_LIBOMP_PATH);
  engineOptions.sharedLibPaths = libraries;
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return Status::error("JIT compilation failed: " +
                         llvm::toString(engine.takeError()));
  return std::unique_ptr<CPUJit>(new CPUJit(std::move(*engine)));
}

Status CPUJit::callMatrixFunction(const std::string &function,
                                  const std::vector<BufferArg> &args,
                                  std::vector<int64_t> &outShape,
                                  std::vector<float> &out) {
  MatrixDescriptor result{};
  std::vector<std::vector<int64_t>> descriptors;
  for (const BufferArg &arg : args)
    descriptors.push_back(makeMemRefDescriptor(arg));
  // The C interface takes pointers to descriptors; invokePacked takes
  // pointers to those pointers.
  std::vector<void *> pointers{&result};
  for (auto &d : descriptors)
    pointers.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  if (llvm::Error err =
          engine->invokePacked("_mlir_ciface_" + function, packed))
    return Status::error("calling " + function +
                         " failed: " + llvm::toString(std::move(err)));

  takeMatrixResult(result, outShape, out);
  return Status();
}
