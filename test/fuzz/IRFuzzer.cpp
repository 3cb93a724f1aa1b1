//===- IRFuzzer.cpp - fuzz target: moe IR through the parser and passes ---===//
//
// What moe-opt does with a file a user hands over: parse it with every
// dialect moec registers, verify it, then run each moe pass, each moe
// conversion and the decompose pipeline on its own copy of the module. Any
// text must give either a result or diagnostics; a pass may fail, but never
// crash, hang or trip a sanitizer.
//
// The CPU pipeline (bufferization and the lowering to LLVM, upstream passes)
// is left out: it would mostly fuzz upstream MLIR.
//
//===----------------------------------------------------------------------===//
#include "moec/Pipelines/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

namespace {

/// Each runs alone on a fresh copy of the parsed module.
constexpr const char *kPipelines[] = {
    "canonicalize",
    "moe-decompose-block",
    "moe-fold-shared-experts",
    "moe-fuse-expert-ffn",
    "moe-fuse-linear-epilogues",
    "moe-expand-strided-copies",
    "moe-emit-packed-entry-points",
    "convert-moe-to-linalg",
    "convert-moe-to-vector",
    "convert-moe-to-vector{vector-width=8 rows=2}",
    "moe-decompose-pipeline",
    "convert-moe-to-gpu",
    "convert-moe-to-gpu{partial=true}",
    "moe-gpu-device-buffers",
    "moe-gpu-merge-kernel-modules",
    "moe-gpu-launch-to-loops",
};

const DialectRegistry &registry() {
  static const DialectRegistry instance = [] {
    DialectRegistry r;
    moec::registerCompilerDialects(r);
    return r;
  }();
  return instance;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  moec::registerCompilerPasses();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: one shared context would keep every
  // attribute and type ever parsed.
  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  ParserConfig config(&context, /*verifyAfterParse=*/true);
  // MLIR's lexer reads up to the NUL after the text, as in the buffers that
  // moe-opt reads files into; libFuzzer's data has none.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      StringRef(text.c_str(), size), config, "input.mlir");
  if (!module)
    return 0;
  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> copy(module->clone());
    PassManager pm(&context);
    if (failed(parsePassPipeline(pipeline, pm))) {
      std::fprintf(stderr, "moec-ir-fuzzer: bad pipeline %s\n", pipeline);
      std::abort();
    }
    (void)pm.run(*copy);
  }
  return 0;
}
