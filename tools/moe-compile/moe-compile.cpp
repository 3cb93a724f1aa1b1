//===- moe-compile.cpp - compile DeepSeekMoE layers ahead of time ---------===//
//
//   moe-compile layer --model DIR --layer L --output FILE.so
//
// Writes a shared library with layer L's MLP block compiled for this CPU and
// the checkpoint's configuration and weight dtypes. `moe-run layer --module`
// and the runtime C API (moec/runtime.h) run it without the compiler.
//
//===----------------------------------------------------------------------===//
#include "moec/Compiler/Compile.h"
#include "moec/Compiler/MLPModule.h"
#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Pipelines/Registration.h"
#include "moec/Runtime/MLPWeights.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

using namespace moec;

namespace {

const char *kUsage =
    "usage: moe-compile layer --model DIR --layer L --output FILE.so\n"
    "                         [--no-fold-shared-experts] [--unfused] "
    "[--sequential]\n"
    "\n"
    "Compiles decoder layer L's MLP block of the Hugging Face DeepSeekMoE\n"
    "checkpoint in DIR for this CPU into the shared library FILE.so, for\n"
    "`moe-run layer --module FILE.so` and the runtime C API.\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "moe-compile: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  if (std::strcmp(argv[1], "layer") != 0)
    return fail(std::string("unknown command '") + argv[1] + "'\n" + kUsage);
  std::map<std::string, std::string> opts;
  CompileOptions compileOptions;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (applyCompileFlag(arg, compileOptions))
      continue;
    if (arg != "--model" && arg != "--layer" && arg != "--output")
      return fail("unknown option '" + arg + "'\n" + kUsage);
    if (i + 1 >= argc)
      return fail(arg + " needs a value");
    opts[arg] = argv[++i];
  }
  for (const char *required : {"--model", "--layer", "--output"})
    if (!opts.count(required))
      return fail(std::string("missing ") + required + "\n" + kUsage);

  StatusOr<ModelConfig> config = loadModelConfig(opts["--model"]);
  if (!config.ok())
    return fail(config.status().message());
  const std::string &layerText = opts["--layer"];
  StatusOr<int64_t> layer = parseLayerIndex(layerText, *config);
  if (!layer.ok())
    return fail(layer.status().message());
  StatusOr<std::unique_ptr<Checkpoint>> ckpt =
      Checkpoint::open(opts["--model"]);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  // The weights fix the operand dtypes and shapes the code is compiled for.
  StatusOr<MLPWeights> weights = loadMLPWeights(**ckpt, *config, *layer);
  if (!weights.ok())
    return fail(weights.status().message());

  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  auto module = buildMLPModule(context, *config, *layer, weights->dtypes());
  if (!module)
    return fail("internal error: could not build the MLP of layer " +
                layerText);
  Status written = compileToSharedLibrary(
      *module, compileOptions, mlpSignature(*config, *layer, *weights),
      opts["--output"]);
  if (!written.ok())
    return fail(written.message());
  return 0;
}
