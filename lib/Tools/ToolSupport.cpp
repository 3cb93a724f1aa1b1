//===- ToolSupport.cpp - what moe-run, moe-compile, moe-bench share -------===//
#include "moec/Tools/ToolSupport.h"

#include "moec/Support/FileIO.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

using namespace moec;
namespace cl = llvm::cl;

CompileFlags::CompileFlags(std::initializer_list<cl::SubCommand *> subs)
    : subcommands(subs),
      cpu("cpu",
          cl::desc("The CPU to compile for: host (the default) or an LLVM "
                   "x86-64 CPU name, e.g. x86-64-v3 (AVX2 + FMA), "
                   "x86-64-v4 (AVX-512), znver4, sapphirerapids"),
          cl::value_desc("NAME"), cl::init("host"), cl::sub(subcommands)),
      noFoldSharedExperts("no-fold-shared-experts",
                          cl::desc("Run the shared experts as their own MLP "
                                   "rather than inside the grouped kernel"),
                          cl::sub(subcommands)),
      unfused("unfused",
              cl::desc("Use moec's unfused reference lowering (linalg, "
                       "scalar loops) instead of the fused kernels"),
              cl::sub(subcommands)),
      sequential("sequential", cl::desc("Run compiled code on one thread"),
                 cl::sub(subcommands)),
      gpuKernelsOnCPU(
          "gpu-kernels-on-cpu",
          cl::desc("Compile the MLP blocks with the GPU lowering and run its "
                   "kernels on the CPU, one thread at a time: slow, but it "
                   "checks the GPU kernels where there is no GPU"),
          cl::sub(subcommands)),
      latentAttention(
          "latent-attention",
          cl::desc("How MLA models attend to the compressed KV cache"),
          cl::values(
              clEnumValN(LatentAttentionMode::Auto, "auto",
                         "expand keys and values in calls of 128 tokens or "
                         "more (prefill), absorb kv_b_proj in the others "
                         "(default)"),
              clEnumValN(LatentAttentionMode::Absorb, "absorb",
                         "always absorb kv_b_proj into the query and output "
                         "sides"),
              clEnumValN(LatentAttentionMode::Expand, "expand",
                         "always expand keys and values from the cache")),
          cl::init(LatentAttentionMode::Auto), cl::sub(subcommands)) {}

CompileOptions CompileFlags::options() const {
  CompileOptions o;
  o.cpu = cpu;
  o.foldSharedExperts = !noFoldSharedExperts;
  o.fuseExperts = !unfused;
  o.parallel = !sequential;
  o.gpuKernelsOnCPU = gpuKernelsOnCPU;
  if (latentAttention == LatentAttentionMode::Absorb)
    o.latentExpandMinTokens = 0;
  else if (latentAttention == LatentAttentionMode::Expand)
    o.latentExpandMinTokens = 1;
  return o;
}

cl::ValuesClass moec::kvCacheValues() {
  return cl::values(
      clEnumValN(DType::F32, "f32", "float32: exact (the default)"),
      clEnumValN(DType::F16, "f16", "float16: half the memory and traffic"),
      clEnumValN(DType::BF16, "bf16",
                 "bfloat16: half the memory and "
                 "traffic, less precise"));
}

ProgressBar::ProgressBar(std::string what)
    : what(std::move(what)), start(std::chrono::steady_clock::now()),
      terminal(::isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() {
  if (drawn && terminal)
    std::fputc('\n', stderr);
}

void ProgressBar::update(int64_t done, int64_t total) {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (seconds < 1.0 || total <= 0)
    return;
  done = std::min(done, total);
  int64_t tenth = done * 10 / total;
  if (!terminal && tenth == lastTenth)
    return;
  lastTenth = tenth;
  constexpr int kWidth = 30;
  int filled = static_cast<int>(done * kWidth / total);
  std::string bar(filled, '#');
  bar.resize(kWidth, ' ');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld %.1fs%s", terminal ? "\r" : "",
               what.c_str(), bar.c_str(), static_cast<long long>(done),
               static_cast<long long>(total), seconds, terminal ? "" : "\n");
  std::fflush(stderr);
  drawn = true;
}

void moec::parseSubcommandLine(int argc, char **argv, const char *overview) {
  cl::HideUnrelatedOptions(llvm::ArrayRef<const cl::OptionCategory *>(),
                           cl::SubCommand::getTopLevel());
  cl::ParseCommandLineOptions(argc, argv, overview);
}

int moec::reportError(const char *tool, const std::string &message) {
  std::fprintf(stderr, "%s: error: %s\n", tool, message.c_str());
  return 1;
}
