//===- moe-run.cpp - run compiled DeepSeekMoE layers ----------------------===//
//
//   moe-run layer --model DIR --layer L --input X.npy --output Y.npy
//
// Runs layer L's MLP block (MoE or dense) on hidden states X [T, H] (float32,
// after post_attention_layernorm) and writes the block's output Y [T, H]
// (before the residual add), compiled by moec for this CPU.
//
//===----------------------------------------------------------------------===//
#include "moec/Compiler/CPUJit.h"
#include "moec/Compiler/MLPModule.h"
#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Model/Npy.h"
#include "moec/Pipelines/Registration.h"
#include "moec/Runtime/MLPWeights.h"
#include "moec/runtime.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

using namespace moec;

namespace {

const char *kUsage =
    "usage: moe-run layer --model DIR --layer L --input X.npy --output Y.npy\n"
    "                     [--module FILE.so]\n"
    "                     [--no-fold-shared-experts] [--unfused] "
    "[--sequential]\n"
    "\n"
    "Runs decoder layer L's MLP block (MoE or dense, per "
    "first_k_dense_replace\n"
    "and moe_layer_freq) of the Hugging Face DeepSeekMoE checkpoint in DIR on\n"
    "the hidden states in X.npy (float32, shape [T, hidden_size], T >= 1; the\n"
    "input after post_attention_layernorm) and writes the block's output\n"
    "(before the residual add) to Y.npy. The block is compiled by moec for\n"
    "this CPU, or with --module taken from a library written by moe-compile\n"
    "(run through the runtime C API, without the compiler).\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "moe-run: error: %s\n", message.c_str());
  return 1;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool sameFile(const std::string &a, const std::string &b) {
  char ra[PATH_MAX], rb[PATH_MAX];
  return realpath(a.c_str(), ra) && realpath(b.c_str(), rb) &&
         std::strcmp(ra, rb) == 0;
}

/// Runs a moe-compile artifact through the runtime C API.
int runModule(const std::string &modulePath, const std::string &dir,
              int64_t layer, const NpyArray &x, const std::string &output) {
  struct Handles {
    moec_model_t *model = nullptr;
    moec_module_t *module = nullptr;
    ~Handles() {
      moec_module_release(module);
      moec_model_release(model);
    }
  } h;
  auto check = [](moec_status_t status) {
    if (!status)
      return true;
    fail(moec_status_message(status));
    moec_status_free(status);
    return false;
  };
  if (!check(moec_model_open(dir.c_str(), &h.model)) ||
      !check(moec_module_load(modulePath.c_str(), &h.module)))
    return 1;
  std::vector<float> y(x.data.size());
  if (!check(moec_module_run_mlp(h.module, h.model, layer, x.data.data(),
                                 x.shape[0], y.data())))
    return 1;
  Status written = writeNpy(output, x.shape, y.data());
  return written.ok() ? 0 : fail(written.message());
}

int runLayer(const std::map<std::string, std::string> &opts,
             const CompileOptions &compileOptions) {
  for (const char *required : {"--model", "--layer", "--input", "--output"})
    if (!opts.count(required))
      return fail(std::string("missing ") + required + "\n" + kUsage);
  const std::string &dir = opts.at("--model");
  const std::string &input = opts.at("--input");
  const std::string &output = opts.at("--output");
  if (sameFile(input, output))
    return fail("--output " + output +
                " is the input file; refusing to "
                "overwrite it");

  StatusOr<ModelConfig> config = loadModelConfig(dir);
  if (!config.ok())
    return fail(config.status().message());
  const std::string &layerText = opts.at("--layer");
  StatusOr<int64_t> layer = parseLayerIndex(layerText, *config);
  if (!layer.ok())
    return fail(layer.status().message());

  StatusOr<NpyArray> x = readNpy(input);
  if (!x.ok())
    return fail(x.status().message());
  const int64_t h = config->hidden_size;
  if (x->shape.size() != 2 || x->shape[1] != h || x->shape[0] < 1)
    return fail(input + " has shape " + shapeString(x->shape) + " but layer " +
                layerText + " takes [T, " + std::to_string(h) +
                "] (T >= 1 tokens of hidden_size " + std::to_string(h) + ")");

  if (opts.count("--module"))
    return runModule(opts.at("--module"), dir, *layer, *x, output);

  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(dir);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  StatusOr<MLPWeights> weights = loadMLPWeights(**ckpt, *config, *layer);
  if (!weights.ok())
    return fail(weights.status().message());

  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildMLPModule(context, *config, *layer, weights->dtypes());
  if (!module)
    return fail("internal error: could not build the MLP of layer " +
                layerText);
  StatusOr<std::unique_ptr<CPUJit>> jit =
      CPUJit::compile(*module, compileOptions);
  if (!jit.ok())
    return fail(jit.status().message());

  std::vector<BufferArg> args{{x->data.data(), x->shape}};
  for (const WeightOperand &w : weights->operands)
    args.push_back({w.data, w.shape});
  std::vector<int64_t> outShape;
  std::vector<float> out;
  Status run =
      (*jit)->callMatrixFunction(kMLPFunctionName, args, outShape, out);
  if (!run.ok())
    return fail(run.message());
  Status written = writeNpy(output, outShape, out.data());
  if (!written.ok())
    return fail(written.message());
  return 0;
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
    if (arg != "--model" && arg != "--layer" && arg != "--input" &&
        arg != "--output" && arg != "--module")
      return fail("unknown option '" + arg + "'\n" + kUsage);
    if (i + 1 >= argc)
      return fail(arg + " needs a value");
    opts[arg] = argv[++i];
  }
  return runLayer(opts, compileOptions);
}
