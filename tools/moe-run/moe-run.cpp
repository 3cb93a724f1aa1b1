//===- moe-run.cpp - run compiled DeepSeek models -------------------------===//
//
//   moe-run generate --model DIR --prompt-ids 1,2,3 [--max-new-tokens N]
//   moe-run logits   --model DIR --prompt-ids 1,2,3 --output L.npy
//   moe-run layer    --model DIR --layer L --input X.npy --output Y.npy
//
// Compiles the model (or one layer's MLP block) for this CPU or, with
// --target cuda, for CUDA GPU 0, or takes an ahead-of-time module from
// moe-compile (--module, which runs where it was compiled for), and runs it.
//
//===----------------------------------------------------------------------===//
#include "moec/Compiler/Compile.h"
#include "moec/Compiler/CompileGPU.h"
#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Runtime/CUDADriver.h"
#include "moec/Runtime/Generate.h"
#include "moec/Runtime/Model.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Runtime/Weights.h"
#include "moec/Support/FileIO.h"
#include "moec/Support/Npy.h"
#include "moec/Tokenizer/Tokenizer.h"
#include "moec/Tools/ToolSupport.h"
#include "moec/runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <unistd.h>

using namespace moec;
namespace cl = llvm::cl;

namespace {

cl::SubCommand generateCmd("generate",
                           "Generate tokens after a prompt (greedy unless "
                           "--temperature is set); prints the new ids on "
                           "one line");
cl::SubCommand logitsCmd("logits", "Write the logits [T, vocab_size] of "
                                   "every prompt position to --output");
cl::SubCommand tokenizeCmd("tokenize",
                           "Print the token ids of --prompt (or --prompt-file) "
                           "under DIR/tokenizer.json, as Hugging Face "
                           "tokenizers encodes it");
cl::SubCommand devicesCmd("devices",
                          "List the CUDA devices the driver sees (exits "
                          "non-zero, saying why, when there are none)");
cl::SubCommand
    layerCmd("layer",
             "Run decoder layer L's MLP block (MoE or dense) on hidden "
             "states X [T, hidden_size] (after post_attention_layernorm) and "
             "write its output (before the residual add) to --output");

cl::opt<std::string> modelDir("model",
                              cl::desc("Hugging Face checkpoint directory "
                                       "(config.json + safetensors)"),
                              cl::value_desc("DIR"), cl::Required,
                              cl::sub(generateCmd), cl::sub(logitsCmd),
                              cl::sub(layerCmd), cl::sub(tokenizeCmd));
cl::opt<std::string> modulePath(
    "module",
    cl::desc("Run this ahead-of-time module from moe-compile instead of "
             "compiling"),
    cl::value_desc("FILE.so"), cl::sub(generateCmd), cl::sub(logitsCmd),
    cl::sub(layerCmd));
enum class Target { CPU, CUDA };
cl::opt<Target> target(
    "target",
    cl::desc("Where to run the model or the block (a --module runs where "
             "it was compiled for)"),
    cl::values(clEnumValN(Target::CPU, "cpu", "This machine's CPU (default)"),
               clEnumValN(Target::CUDA, "cuda",
                          "CUDA GPU 0, with kernels compiled for it")),
    cl::init(Target::CPU), cl::sub(generateCmd), cl::sub(logitsCmd),
    cl::sub(layerCmd));
cl::opt<std::string> promptIds("prompt-ids",
                               cl::desc("The prompt as token ids, e.g. 1,2,3"),
                               cl::value_desc("IDS"), cl::sub(generateCmd),
                               cl::sub(logitsCmd));
cl::opt<std::string>
    promptText("prompt",
               cl::desc("The prompt as text, encoded with DIR/tokenizer.json"),
               cl::value_desc("TEXT"), cl::sub(generateCmd), cl::sub(logitsCmd),
               cl::sub(tokenizeCmd));
cl::opt<std::string> promptFile(
    "prompt-file",
    cl::desc("The prompt as the text of a file (UTF-8), encoded with "
             "DIR/tokenizer.json"),
    cl::value_desc("FILE"), cl::sub(generateCmd), cl::sub(logitsCmd),
    cl::sub(tokenizeCmd));
cl::opt<bool> noSpecialTokens(
    "no-special-tokens",
    cl::desc("Encode the text without the tokenizer's template tokens (the "
             "BOS)"),
    cl::sub(generateCmd), cl::sub(logitsCmd), cl::sub(tokenizeCmd));
IntOption maxNewTokens("max-new-tokens", cl::desc("Tokens to generate at most"),
                       cl::init(16), cl::sub(generateCmd));
cl::opt<double>
    temperature("temperature",
                cl::desc("Sample from softmax(logits / T); 0 is greedy"),
                cl::init(0.0), cl::sub(generateCmd));
cl::opt<double> topP("top-p",
                     cl::desc("Sample only from the most likely tokens whose "
                              "probabilities sum to P"),
                     cl::init(1.0), cl::sub(generateCmd));
UnsignedOption seed("seed", cl::desc("Seed of the sampler"), cl::init(0),
                    cl::sub(generateCmd));
cl::opt<std::string>
    stepLogits("logits-output",
               cl::desc("Also write the logits each new token was chosen from, "
                        "[new tokens, vocab_size]"),
               cl::value_desc("FILE.npy"), cl::sub(generateCmd));
cl::opt<DType> kvCache("kv-cache", cl::desc("Element type of the KV cache"),
                       kvCacheValues(), cl::init(DType::F32),
                       cl::sub(generateCmd), cl::sub(logitsCmd));
cl::opt<bool>
    stats("stats",
          cl::desc("Print prefill and decode speeds and the KV cache size "
                   "to stderr"),
          cl::sub(generateCmd));
IntOption layerIndex("layer", cl::desc("Decoder layer index"),
                     cl::value_desc("L"), cl::Required, cl::sub(layerCmd));
cl::opt<std::string> inputPath("input",
                               cl::desc("Hidden states, float32 [T, H]"),
                               cl::value_desc("X.npy"), cl::Required,
                               cl::sub(layerCmd));
cl::opt<std::string> outputPath("output", cl::desc("Where to write"),
                                cl::value_desc("FILE.npy"), cl::Required,
                                cl::sub(layerCmd), cl::sub(logitsCmd));

CompileFlags compileFlags({&generateCmd, &logitsCmd, &layerCmd});

int fail(const std::string &message) { return reportError("moe-run", message); }

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Runs a moe-compile artifact through the runtime C API.
int runLayerModule(const std::string &modulePath, int64_t layer,
                   const NpyArray &x) {
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
  if (!check(moec_model_open(modelDir.c_str(), &h.model)) ||
      !check(moec_module_load(modulePath.c_str(), &h.module)))
    return 1;
  std::vector<float> y(x.data.size());
  if (!check(moec_module_run_mlp(h.module, h.model, layer, x.data.data(),
                                 x.shape[0], y.data())))
    return 1;
  Status written = writeNpy(outputPath, x.shape, y.data());
  return written.ok() ? 0 : fail(written.message());
}

/// What to compile for GPU 0, or why there is none: said before any time
/// goes into compiling for it.
StatusOr<GPUPipelineConfig> gpuZero() {
  StatusOr<const CUDADriver *> driver = CUDADriver::get();
  if (!driver.ok())
    return Status::error("--target cuda: " + driver.status().message());
  StatusOr<CUDADeviceInfo> device = (*driver)->device(0);
  if (!device.ok())
    return Status::error("--target cuda: " + device.status().message());
  GPUPipelineConfig gpu;
  gpu.chip = device->smName();
  if (StatusOr<std::string> features = gpu.features(); !features.ok())
    return Status::error("--target cuda: GPU 0 is " + device->name + " (" +
                         gpu.chip + "): " + features.status().message());
  return gpu;
}

/// Compiles the block for GPU 0 into a temporary module and runs it.
int runLayerOnGPU(const ModelConfig &config, const NpyArray &x) {
  StatusOr<GPUPipelineConfig> gpu = gpuZero();
  if (!gpu.ok())
    return fail(gpu.status().message());
  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(modelDir);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  StatusOr<ModuleSpec> spec =
      deriveMLPModuleSpec(config, **ckpt, layerIndex, WeightLayout());
  if (!spec.ok())
    return fail(spec.status().message());
  llvm::SmallString<128> module;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("moec-layer", "so", module))
    return fail("cannot create a temporary module: " + ec.message());
  llvm::FileRemover removeModule(module);
  if (Status s = compileModuleForGPUToFile(*spec, *gpu, module.str().str());
      !s.ok())
    return fail(s.message());
  return runLayerModule(module.str().str(), layerIndex, x);
}

int runLayer() {
  if (Status s = checkOutputPath(outputPath, modelDir, {inputPath}); !s.ok())
    return fail(s.message());
  StatusOr<ModelConfig> config = loadModelConfig(modelDir);
  if (!config.ok())
    return fail(config.status().message());
  if (layerIndex < 0 || layerIndex >= config->num_hidden_layers)
    return fail("layer " + std::to_string(layerIndex) +
                " is out of range: the model has " +
                std::to_string(config->num_hidden_layers) + " layers (0.." +
                std::to_string(config->num_hidden_layers - 1) + ")");
  StatusOr<NpyArray> x = readNpy(inputPath);
  if (!x.ok())
    return fail(x.status().message());
  const int64_t h = config->hidden_size;
  if (x->shape.size() != 2 || x->shape[1] != h || x->shape[0] < 1)
    return fail(inputPath + " has shape " + shapeText(x->shape) +
                " but layer " + std::to_string(layerIndex) + " takes [T, " +
                std::to_string(h) + "] (T >= 1 tokens of hidden_size " +
                std::to_string(h) + ")");
  if (!modulePath.empty())
    return runLayerModule(modulePath, layerIndex, *x);
  if (target == Target::CUDA)
    return runLayerOnGPU(*config, *x);

  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(modelDir);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  const CompileOptions compileOptions = compileFlags.options();
  StatusOr<WeightLayout> layout = weightLayoutFor(compileOptions);
  if (!layout.ok())
    return fail(layout.status().message());
  StatusOr<ModuleSpec> spec =
      deriveMLPModuleSpec(*config, **ckpt, layerIndex, *layout);
  if (!spec.ok())
    return fail(spec.status().message());
  StatusOr<std::unique_ptr<CompiledModule>> module =
      compileModule(*spec, compileOptions);
  if (!module.ok())
    return fail(module.status().message());
  const FunctionSpec &fn = spec->functions[0];
  StatusOr<PackedFunction> entry = (*module)->lookup(fn.name);
  if (!entry.ok())
    return fail(entry.status().message());
  StatusOr<std::vector<WeightBuffer>> weights =
      bindWeights(**ckpt, fn, spec->mlp, /*releaseSources=*/false);
  if (!weights.ok())
    return fail(weights.status().message());
  std::vector<float> y(x->data.size());
  std::vector<Argument> args{Argument::buffer(x->data.data(), x->shape),
                             Argument::buffer(y.data(), x->shape)};
  for (const WeightBuffer &w : *weights)
    args.push_back(Argument::buffer(w.data(), w.shape));
  if (Status s = invoke(*entry, fn, args); !s.ok())
    return fail(s.message());
  Status written = writeNpy(outputPath, x->shape, y.data());
  return written.ok() ? 0 : fail(written.message());
}

/// Opens the model, compiles it (or loads --module) and binds its weights.
StatusOr<std::unique_ptr<LoadedModel>> loadModel() {
  ModelOptions options;
  options.kvCache = kvCache;
  // GPU kernels read the weights as stored.
  const bool compileForGPU = modulePath.empty() && target == Target::CUDA;
  if (modulePath.empty() && !compileForGPU) {
    StatusOr<WeightLayout> layout = weightLayoutFor(compileFlags.options());
    if (!layout.ok())
      return layout.status();
    options.layout = *layout;
  }
  StatusOr<std::unique_ptr<LoadedModel>> model =
      LoadedModel::open(modelDir, options);
  if (!model.ok())
    return model.status();
  StatusOr<std::unique_ptr<CompiledModule>> module = Status::error("");
  if (!modulePath.empty()) {
    module = loadSharedLibraryModule(modulePath);
    // The module brings its KV cache type; one asked for must match it.
    if (module.ok() && kvCache.getNumOccurrences()) {
      StatusOr<DType> built = kvCacheTypeOf((*module)->signature());
      if (built.ok() && *built != kvCache)
        return Status::error(
            "--kv-cache " + llvm::StringRef(dtypeName(kvCache)).lower() +
            " was given, but " + modulePath + " was compiled with a " +
            llvm::StringRef(dtypeName(*built)).lower() +
            " KV cache; leave out --kv-cache or compile the module with it");
    }
  } else if (compileForGPU) {
    StatusOr<GPUPipelineConfig> gpu = gpuZero();
    if (!gpu.ok())
      return gpu.status();
    llvm::SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("moec-model", "so", path))
      return Status::error("cannot create a temporary module: " + ec.message());
    llvm::FileRemover removeModule(path);
    if (Status s =
            compileModuleForGPUToFile((*model)->spec(), *gpu, path.str().str());
        !s.ok())
      return s;
    module = loadSharedLibraryModule(path.str().str());
  } else {
    ProgressBar bar("compiling");
    CompileOptions options = compileFlags.options();
    options.progress = [&](int64_t done, int64_t total) {
      bar.update(done, total);
    };
    module = compileModule((*model)->spec(), options);
  }
  if (!module.ok())
    return module.status();
  ProgressBar bar("loading weights");
  if (Status s = (*model)->load(
          std::move(*module),
          [&](int64_t done, int64_t total) { bar.update(done, total); });
      !s.ok())
    return s;
  return model;
}

/// DIR/tokenizer.json, which --prompt and --prompt-file need.
StatusOr<std::unique_ptr<Tokenizer>> loadTokenizer() {
  std::string path = modelDir + "/tokenizer.json";
  if (::access(path.c_str(), F_OK) != 0)
    return Status::error("--prompt and --prompt-file need a tokenizer, but "
                         "the model directory has no tokenizer.json (" +
                         path + "); give the prompt as --prompt-ids");
  return Tokenizer::load(path);
}

/// The text of --prompt or --prompt-file, or nothing if neither is given.
StatusOr<std::optional<std::string>> promptString() {
  int given = (promptIds.getNumOccurrences() > 0) +
              (promptText.getNumOccurrences() > 0) +
              (promptFile.getNumOccurrences() > 0);
  if (given > 1)
    return Status::error("give the prompt once: --prompt-ids, --prompt or "
                         "--prompt-file");
  if (promptText.getNumOccurrences())
    return std::optional<std::string>(promptText.getValue());
  if (!promptFile.getNumOccurrences())
    return std::optional<std::string>();
  // Far more text than any context holds, far less than exhausts memory.
  StatusOr<std::string> text = readRegularFile(promptFile, uint64_t(64) << 20);
  if (!text.ok())
    return Status::error("--prompt-file: " + text.status().message());
  return std::optional<std::string>(std::move(*text));
}

/// A prompt: the model's config, its token ids (checked against the
/// vocabulary), and the tokenizer when it was given as text.
struct Prompt {
  ModelConfig config;
  std::vector<int32_t> ids;
  std::unique_ptr<Tokenizer> tokenizer;
};

/// Reads config.json and the prompt of --prompt-ids, --prompt or
/// --prompt-file.
StatusOr<Prompt> readPrompt() {
  StatusOr<ModelConfig> config = loadModelConfig(modelDir);
  if (!config.ok())
    return config.status();
  std::unique_ptr<Tokenizer> tokenizer;
  StatusOr<std::optional<std::string>> text = promptString();
  if (!text.ok())
    return text.status();
  std::vector<int32_t> ids;
  if (text->has_value()) {
    StatusOr<std::unique_ptr<Tokenizer>> loaded = loadTokenizer();
    if (!loaded.ok())
      return loaded.status();
    tokenizer = std::move(*loaded);
    StatusOr<std::vector<int32_t>> encoded =
        tokenizer->encode(**text, !noSpecialTokens);
    if (!encoded.ok())
      return Status::error("cannot encode the prompt: " +
                           encoded.status().message());
    ids = std::move(*encoded);
    if (ids.empty())
      return Status::error("the prompt is empty: its text encodes to no "
                           "token");
  } else {
    if (promptIds.getNumOccurrences() == 0)
      return Status::error("no prompt: give --prompt-ids, --prompt or "
                           "--prompt-file");
    if (promptIds.empty())
      return Status::error("the prompt is empty: --prompt-ids needs at least "
                           "one token id");
    StatusOr<std::vector<int32_t>> parsed = parseTokenIds(promptIds);
    if (!parsed.ok())
      return parsed.status();
    ids = std::move(*parsed);
  }
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= config->vocab_size)
      return Status::error("prompt token id " + std::to_string(ids[i]) +
                           " (position " + std::to_string(i) +
                           ") is out of range: vocab_size is " +
                           std::to_string(config->vocab_size));
  return Prompt{std::move(*config), std::move(ids), std::move(tokenizer)};
}

std::string joinIds(const std::vector<int32_t> &ids) {
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i)
    line += (i ? " " : "") + std::to_string(ids[i]);
  return line;
}

/// An error if `tokens` positions exceed the model's context.
Status checkContext(const ModelConfig &config, int64_t tokens,
                    const std::string &what) {
  if (tokens <= config.max_position_embeddings)
    return Status();
  return Status::error(what + " is " + std::to_string(tokens) +
                       " tokens, beyond the model's max_position_embeddings "
                       "of " +
                       std::to_string(config.max_position_embeddings));
}

int runGenerate() {
  if (maxNewTokens < 1)
    return fail("--max-new-tokens must be at least 1, got " +
                std::to_string(maxNewTokens));
  if (!(temperature >= 0))
    return fail("--temperature must be non-negative");
  if (!(topP > 0 && topP <= 1))
    return fail("--top-p must be in (0, 1]");
  if (!stepLogits.empty())
    if (Status s = checkOutputPath(stepLogits, modelDir); !s.ok())
      return fail(s.message());
  StatusOr<Prompt> prompt = readPrompt();
  if (!prompt.ok())
    return fail(prompt.status().message());
  const ModelConfig &config = prompt->config;
  const int64_t length =
      static_cast<int64_t>(prompt->ids.size()) + maxNewTokens;
  if (Status s =
          checkContext(config, length,
                       "the prompt (" + std::to_string(prompt->ids.size()) +
                           " tokens) plus --max-new-tokens");
      !s.ok())
    return fail(s.message());

  StatusOr<std::unique_ptr<LoadedModel>> model = loadModel();
  if (!model.ok())
    return fail(model.status().message());
  StatusOr<std::unique_ptr<Session>> session = Session::create(**model, length);
  if (!session.ok())
    return fail(session.status().message());
  GenerateOptions options;
  options.maxNewTokens = maxNewTokens;
  options.sampling = {temperature, topP, seed};
  options.stopIds = (*model)->config().eos_token_id;
  std::vector<int32_t> generated;
  std::vector<float> allLogits;
  // The first token comes after the prefill; each later one after a step.
  using Clock = std::chrono::steady_clock;
  Clock::time_point started = Clock::now(), firstToken;
  Status s = generate(**session, prompt->ids, options, generated,
                      [&](int32_t, const std::vector<float> &logits) {
                        if (generated.size() == 1)
                          firstToken = Clock::now();
                        if (!stepLogits.empty())
                          allLogits.insert(allLogits.end(), logits.begin(),
                                           logits.end());
                        return true;
                      });
  if (stats && !generated.empty()) {
    double prefill =
        std::chrono::duration<double>(firstToken - started).count();
    double decode =
        std::chrono::duration<double>(Clock::now() - firstToken).count();
    size_t steps = generated.size() - 1;
    std::fprintf(stderr,
                 "prefill: %zu tokens in %.3f s (%.1f tok/s); decode: %zu "
                 "steps in %.3f s (%.1f tok/s)\n",
                 prompt->ids.size(), prefill, prompt->ids.size() / prefill,
                 steps, decode, steps ? steps / decode : 0.0);
    std::fprintf(stderr, "KV cache: %lld bytes per token\n",
                 static_cast<long long>((*session)->cacheBytesPerPosition()));
  }
  if (!s.ok())
    return fail(s.message());
  if (!stepLogits.empty())
    if (Status w = writeNpy(
            stepLogits,
            {static_cast<int64_t>(generated.size()), config.vocab_size},
            allLogits.data());
        !w.ok())
      return fail(w.message());
  std::printf("%s\n", joinIds(generated).c_str());
  // With a text prompt, the generated text as well (special tokens such as
  // the end of sequence left out).
  if (prompt->tokenizer)
    std::printf("%s\n", prompt->tokenizer->decode(generated).c_str());
  return 0;
}

int runTokenize() {
  StatusOr<Prompt> prompt = readPrompt();
  if (!prompt.ok())
    return fail(prompt.status().message());
  if (!prompt->tokenizer)
    return fail("give the text to tokenize as --prompt or --prompt-file");
  std::printf("%s\n", joinIds(prompt->ids).c_str());
  return 0;
}

int runLogits() {
  if (Status s = checkOutputPath(outputPath, modelDir); !s.ok())
    return fail(s.message());
  StatusOr<Prompt> prompt = readPrompt();
  if (!prompt.ok())
    return fail(prompt.status().message());
  const ModelConfig &config = prompt->config;
  const int64_t tokens = static_cast<int64_t>(prompt->ids.size());
  if (Status s = checkContext(config, tokens, "the prompt"); !s.ok())
    return fail(s.message());
  StatusOr<std::unique_ptr<LoadedModel>> model = loadModel();
  if (!model.ok())
    return fail(model.status().message());
  StatusOr<std::unique_ptr<Session>> session = Session::create(**model, tokens);
  if (!session.ok())
    return fail(session.status().message());
  std::vector<float> logits;
  if (Status s = (*session)->forward(prompt->ids, /*allLogits=*/true, logits);
      !s.ok())
    return fail(s.message());
  Status written =
      writeNpy(outputPath, {tokens, config.vocab_size}, logits.data());
  return written.ok() ? 0 : fail(written.message());
}

} // namespace

/// The CUDA driver's devices, one per line.
int runDevices() {
  StatusOr<const CUDADriver *> driver = CUDADriver::get();
  if (!driver.ok())
    return fail(driver.status().message());
  const int version = (*driver)->version();
  std::printf("CUDA driver %d.%d, %d device(s)\n", version / 1000,
              version % 1000 / 10, (*driver)->deviceCount());
  for (int d = 0; d < (*driver)->deviceCount(); ++d) {
    StatusOr<CUDADeviceInfo> info = (*driver)->device(d);
    if (!info.ok())
      return fail(info.status().message());
    std::printf("%d: %s, %s, %d multiprocessors, %.1f GiB\n", d,
                info->name.c_str(), info->smName().c_str(),
                info->multiprocessors,
                static_cast<double>(info->memoryBytes) / (1 << 30));
  }
  return 0;
}

int main(int argc, char **argv) {
  parseSubcommandLine(
      argc, argv,
      "moe-run: run DeepSeek models compiled by moec\n\n"
      "  moe-run generate --model DIR --prompt-ids 1,2,3 [--max-new-tokens N]\n"
      "  moe-run logits   --model DIR --prompt-ids 1,2,3 --output L.npy\n"
      "  moe-run layer    --model DIR --layer L --input X.npy --output Y.npy\n"
      "  moe-run tokenize --model DIR --prompt TEXT\n"
      "  moe-run devices\n"
      "\n"
      "With DIR/tokenizer.json, --prompt TEXT (or --prompt-file) replaces\n"
      "--prompt-ids and generate prints the new text after the new ids.\n"
      "\n"
      "`moe-run SUBCOMMAND --help` lists a subcommand's options.\n");
  if (generateCmd)
    return runGenerate();
  if (logitsCmd)
    return runLogits();
  if (layerCmd)
    return runLayer();
  if (tokenizeCmd)
    return runTokenize();
  if (devicesCmd)
    return runDevices();
  return fail("no subcommand given: use generate, logits, layer, tokenize or "
              "devices (see --help)");
}
