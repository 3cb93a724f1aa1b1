//===- CPUJit.cpp - compile moe modules for the host and run them ---------===//
#include "moec/Compiler/CPUJit.h"

#include "moec/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace moec;

namespace {

/// The in-memory layout of a ranked memref descriptor:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
std::vector<int64_t> descriptor(const BufferArg &arg) {
  std::vector<int64_t> d;
  auto ptr = reinterpret_cast<int64_t>(arg.data);
  d.push_back(ptr);
  d.push_back(ptr);
  d.push_back(0);
  d.insert(d.end(), arg.shape.begin(), arg.shape.end());
  std::vector<int64_t> strides(arg.shape.size(), 1);
  for (size_t i = arg.shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * arg.shape[i];
  d.insert(d.end(), strides.begin(), strides.end());
  return d;
}

/// The descriptor of a returned rank-2 f32 memref.
struct MatrixDescriptor {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

} // namespace

CPUJit::CPUJit(std::unique_ptr<ExecutionEngine> engine)
    : engine(std::move(engine)) {}
CPUJit::~CPUJit() = default;

StatusOr<std::unique_ptr<CPUJit>>
CPUJit::compile(ModuleOp module, const CompileOptions &compileOptions) {
  MLIRContext *ctx = module.getContext();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return success();
  });

  PassManager pm(ctx);
  CPUPipelineOptions options;
  options.foldSharedExperts = compileOptions.foldSharedExperts;
  options.fuseExperts = compileOptions.fuseExperts;
  options.parallel = compileOptions.parallel;
  options.vectorWidth = compileOptions.vectorWidth;
  buildCPUPipeline(pm, options);
  if (failed(pm.run(module)))
    return Status::error("lowering to LLVM failed:\n" + diagnostics);

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
                         llvm::toString(engine.takeError()) + diagnostics);
  return std::unique_ptr<CPUJit>(new CPUJit(std::move(*engine)));
}

Status CPUJit::callMatrixFunction(const std::string &function,
                                  const std::vector<BufferArg> &args,
                                  std::vector<int64_t> &outShape,
                                  std::vector<float> &out) {
  MatrixDescriptor result{};
  std::vector<std::vector<int64_t>> descriptors;
  for (const BufferArg &arg : args)
    descriptors.push_back(descriptor(arg));
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
    return Status::error("calling " + function + " failed: " +
                         llvm::toString(std::move(err)));

  outShape = {result.sizes[0], result.sizes[1]};
  out.resize(result.sizes[0] * result.sizes[1]);
  for (int64_t r = 0; r < result.sizes[0]; ++r)
    for (int64_t c = 0; c < result.sizes[1]; ++c)
      out[r * result.sizes[1] + c] =
          result.aligned[result.offset + r * result.strides[0] +
                         c * result.strides[1]];
  // The compiled code allocated the result with malloc.
  std::free(result.allocated);
  return Status();
}
