//===- moe-compile.cpp - compile DeepSeek models ahead of time ------------===//
//
//   moe-compile model --model DIR --output FILE.so
//   moe-compile layer --model DIR --layer L --output FILE.so
//   moe-compile layer --model DIR --layer L --target cuda [--emit=ptx]
//                     --output FILE.so|FILE.ptx
//   moe-compile model --model DIR --target cuda [--emit=ptx]
//                     --output FILE.so|FILE.ptx
//
// Writes a shared library with the whole model (embedding, decoder layers,
// head) or one layer's MLP block compiled for this CPU. It reads config.json
// and the checkpoint headers only, never the weights. `moe-run --module`
// and the runtime C API run it without the compiler. With --target cuda the
// library launches GPU kernels (a cubin for --gpu-arch inside) and keeps
// everything on the device; --emit=ptx writes their PTX instead.
//
//===----------------------------------------------------------------------===//
#include "moec/Compiler/Compile.h"
#include "moec/Compiler/CompileGPU.h"
#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Support/FileIO.h"
#include "moec/Tools/ToolSupport.h"

#include "llvm/Support/CommandLine.h"

#include <string>

using namespace moec;
namespace cl = llvm::cl;

namespace {

cl::SubCommand modelCmd("model", "Compile the whole model (prefill and "
                                 "decode with a KV cache)");
cl::SubCommand layerCmd("layer", "Compile decoder layer L's MLP block");

cl::opt<std::string> modelDir("model",
                              cl::desc("Hugging Face checkpoint directory "
                                       "(config.json + safetensors)"),
                              cl::value_desc("DIR"), cl::Required,
                              cl::sub(modelCmd), cl::sub(layerCmd));
cl::opt<std::string> outputPath("output",
                                cl::desc("The shared library to "
                                         "write"),
                                cl::value_desc("FILE.so"), cl::Required,
                                cl::sub(modelCmd), cl::sub(layerCmd));
cl::opt<bool>
    emitMLIR("emit-mlir",
             cl::desc("Write the module as MLIR (moe ops, before any pass) to "
                      "--output instead of compiling it"),
             cl::sub(modelCmd), cl::sub(layerCmd));
cl::opt<DType> kvCache("kv-cache",
                       cl::desc("Element type of the model's KV cache"),
                       kvCacheValues(), cl::init(DType::F32),
                       cl::sub(modelCmd));
enum class Target { CPU, CUDA };
cl::opt<Target> target(
    "target", cl::desc("What to compile for"),
    cl::values(clEnumValN(Target::CPU, "cpu", "This machine's CPU (default)"),
               clEnumValN(Target::CUDA, "cuda",
                          "An NVIDIA GPU")),
    cl::init(Target::CPU), cl::sub(modelCmd), cl::sub(layerCmd));
cl::opt<std::string> gpuArch("gpu-arch",
                             cl::desc("GPU architecture for --target cuda: "
                                      "sm_80, sm_86, sm_89, sm_90, sm_90a"),
                             cl::init("sm_90"), cl::sub(modelCmd),
                             cl::sub(layerCmd));
enum class Emit { Library, PTX };
cl::opt<Emit>
    emit("emit", cl::desc("What to write to --output"),
         cl::values(clEnumValN(Emit::Library, "library",
                               "A shared library the runtime loads (default)"),
                    clEnumValN(Emit::PTX, "ptx",
                               "The PTX of the GPU kernels (--target cuda)")),
         cl::init(Emit::Library), cl::sub(modelCmd), cl::sub(layerCmd));
IntOption layerIndex("layer", cl::desc("Decoder layer index"),
                     cl::value_desc("L"), cl::Required, cl::sub(layerCmd));

CompileFlags compileFlags({&modelCmd, &layerCmd});

int fail(const std::string &message) {
  return reportError("moe-compile", message);
}

} // namespace

int main(int argc, char **argv) {
  parseSubcommandLine(
      argc, argv,
      "moe-compile: compile DeepSeek models ahead of time\n\n"
      "  moe-compile model --model DIR --output FILE.so\n"
      "  moe-compile layer --model DIR --layer L --output FILE.so\n\n"
      "`moe-compile SUBCOMMAND --help` lists a subcommand's options.\n");
  if (!modelCmd && !layerCmd)
    return fail("no subcommand given: use model or layer (see --help)");
  if (emit == Emit::PTX && (target != Target::CUDA || emitMLIR)) {
    return fail("--emit=ptx needs --target cuda");
  }
  if (Status s = checkOutputPath(outputPath, modelDir); !s.ok())
    return fail(s.message());
  StatusOr<ModelConfig> config = loadModelConfig(modelDir);
  if (!config.ok())
    return fail(config.status().message());
  if (layerCmd && (layerIndex < 0 || layerIndex >= config->num_hidden_layers))
    return fail("layer " + std::to_string(layerIndex) +
                " is out of range: the model has " +
                std::to_string(config->num_hidden_layers) + " layers (0.." +
                std::to_string(config->num_hidden_layers - 1) + ")");
  if (modelCmd)
    if (Status s = checkAttentionSupport(*config, modelDir + "/config.json");
        !s.ok())
      return fail(s.message());
  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(modelDir);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  CompileOptions options = compileFlags.options();
  // GPU kernels read the weights as stored.
  StatusOr<WeightLayout> layout =
      target == Target::CUDA ? WeightLayout() : weightLayoutFor(options);
  if (!layout.ok())
    return fail(layout.status().message());
  StatusOr<ModuleSpec> spec =
      modelCmd ? deriveModelModuleSpec(*config, **ckpt, kvCache, *layout)
               : deriveMLPModuleSpec(*config, **ckpt, layerIndex, *layout);
  if (!spec.ok())
    return fail(spec.status().message());

  if (emitMLIR) {
    if (Status s = writeFileAtomically(outputPath, {printModule(*spec)});
        !s.ok())
      return fail(s.message());
    return 0;
  }

  if (target == Target::CUDA) {
    GPUPipelineConfig gpu;
    gpu.chip = gpuArch;
    if (emit == Emit::Library) {
      if (Status s = compileModuleForGPUToFile(*spec, gpu, outputPath); !s.ok())
        return fail(s.message());
      return 0;
    }
    StatusOr<std::string> ptx = compileModuleToPTX(*spec, gpu);
    if (!ptx.ok())
      return fail(ptx.status().message());
    if (Status s = writeFileAtomically(outputPath, {*ptx}); !s.ok())
      return fail(s.message());
    return 0;
  }

  ProgressBar bar("compiling");
  options.progress = [&](int64_t done, int64_t total) {
    bar.update(done, total);
  };
  if (Status s = compileModuleToFile(*spec, options, outputPath); !s.ok())
    return fail(s.message());
  return 0;
}
