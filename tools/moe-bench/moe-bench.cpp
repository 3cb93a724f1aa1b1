//===- moe-bench.cpp - moec's MoE layer benchmark -------------------------===//
//
// Times one DeepSeekMoE MLP block compiled by moec (fused kernels and the
// unfused lowering) side by side, in one run, with baselines of the same
// work: an OpenBLAS SGEMM of equal FLOPs, PyTorch eager (HF moe_infer style,
// tools/moe-bench/torch_moe.py) and, for decode, the memory-bandwidth bound.
// Not a test: results go to BENCHMARKS.md.
//
//===----------------------------------------------------------------------===//
#include "moec/Compiler/CPUJit.h"
#include "moec/Compiler/MLPModule.h"
#include "moec/Model/Checkpoint.h"
#include "moec/Pipelines/Pipelines.h"
#include "moec/Pipelines/Registration.h"
#include "moec/Runtime/MLPWeights.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace moec;

namespace {

struct Options {
  std::vector<int64_t> tokens{1, 16, 128, 512};
  int repeats = 5;
  std::string python = "python3";
  bool torch = true;
  bool unfused = true;
  int64_t unfusedMaxTokens = 128;
  ExpertKernelTiling tiling{/*vectorWidth=*/0};
  DType dtype = DType::BF16;
};

/// DeepSeekMoE 16B's MoE layer: H 2048, E 64 experts of width 1408, k 6,
/// 2 shared experts; softmax, greedy.
ModelConfig deepseekMoE16B() {
  ModelConfig c;
  c.hidden_size = 2048;
  c.moe_intermediate_size = 1408;
  c.n_routed_experts = 64;
  c.n_shared_experts = 2;
  c.num_experts_per_tok = 6;
  c.first_k_dense_replace = 0;
  c.num_hidden_layers = 1;
  return c;
}

/// Random weight operands of `dtype` in MLPWeights order, uniform with the
/// variance of 1/fan_in.
MLPWeights randomWeights(const ModelConfig &c, DType dtype) {
  const int64_t h = c.hidden_size, i = c.moe_intermediate_size,
                e = c.n_routed_experts, s = c.n_shared_experts * i;
  std::vector<std::vector<int64_t>> shapes = {
      {e, h}, {e, i, h}, {e, i, h}, {e, h, i}, {s, h}, {s, h}, {h, s}};
  MLPWeights w;
  w.moe = true;
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (const auto &shape : shapes) {
    WeightOperand op;
    op.dtype = dtype;
    op.shape = shape;
    size_t n = 1;
    for (int64_t d : shape)
      n *= d;
    float scale = std::sqrt(3.0f / static_cast<float>(shape.back()));
    op.owned.resize(n * dtypeSize(dtype));
    for (size_t j = 0; j < n; ++j) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      float u = static_cast<float>(state >> 40) / static_cast<float>(1 << 24);
      float v = (2.0f * u - 1.0f) * scale;
      if (dtype == DType::F32)
        reinterpret_cast<float *>(op.owned.data())[j] = v;
      else
        reinterpret_cast<uint16_t *>(op.owned.data())[j] = floatToBf16(v);
    }
    op.data = op.owned.data();
    w.operands.push_back(std::move(op));
  }
  return w;
}

double medianSeconds(int repeats, const std::function<void()> &fn) {
  fn(); // warm-up: page-in, caches, thread pool
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Read bandwidth (bytes per second) of all cores summing disjoint parts of
/// a 1 GiB buffer: what a weight-streaming decode step can hope for.
double readBandwidth() {
  const size_t words = (size_t(1) << 30) / sizeof(uint64_t);
  std::vector<uint64_t> data(words, 1);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double best = 1e30;
  std::vector<uint64_t> sums(threads);
  for (int r = 0; r < 5; ++r) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = words / threads;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        uint64_t a = 0, b = 0, c = 0, d = 0;
        const uint64_t *p = data.data() + t * chunk;
        for (size_t j = 0; j + 4 <= chunk; j += 4) {
          a += p[j];
          b += p[j + 1];
          c += p[j + 2];
          d += p[j + 3];
        }
        sums[t] = a + b + c + d;
      });
    for (auto &th : pool)
      th.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }
  return words * sizeof(uint64_t) / best;
}

/// Copy bandwidth (bytes copied per second) of all cores copying disjoint
/// parts of a 1 GiB buffer.
double copyBandwidth() {
  const size_t bytes = size_t(1) << 30;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = bytes / threads;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        std::memcpy(dst.data() + t * chunk, src.data() + t * chunk, chunk);
      });
    for (auto &th : pool)
      th.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }
  return bytes / best;
}

/// PyTorch eager seconds per token count, or empty if unavailable.
std::map<int64_t, double> torchBaseline(const Options &o,
                                        const ModelConfig &c) {
  std::ostringstream cmd, tokens;
  for (size_t i = 0; i < o.tokens.size(); ++i)
    tokens << (i ? "," : "") << o.tokens[i];
  cmd << o.python << " " << MOEC_SOURCE_DIR << "/tools/moe-bench/torch_moe.py"
      << " --hidden " << c.hidden_size << " --width " << c.moe_intermediate_size
      << " --experts " << c.n_routed_experts << " --top-k "
      << c.num_experts_per_tok << " --shared " << c.n_shared_experts
      << " --tokens " << tokens.str() << " --repeats " << o.repeats
      << " 2>/dev/null";
  std::map<int64_t, double> result;
  FILE *pipe = popen(cmd.str().c_str(), "r");
  if (!pipe)
    return result;
  char line[512];
  while (std::fgets(line, sizeof line, pipe)) {
    long long t;
    double s;
    if (std::sscanf(line, "{\"tokens\": %lld, \"seconds\": %lf", &t, &s) == 2)
      result[t] = s;
  }
  pclose(pipe);
  return result;
}

bool parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char * {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    if (a == "--tokens") {
      const char *v = value();
      if (!v)
        return false;
      o.tokens.clear();
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ','))
        o.tokens.push_back(std::atoll(item.c_str()));
    } else if (a == "--repeats") {
      const char *v = value();
      if (!v || (o.repeats = std::atoi(v)) < 1)
        return false;
    } else if (a == "--python") {
      const char *v = value();
      if (!v)
        return false;
      o.python = v;
    } else if (a == "--rows" || a == "--gate-up-cols" || a == "--down-cols" ||
               a == "--gate-up-block" || a == "--down-block") {
      const char *v = value();
      if (!v || std::atoll(v) < 1)
        return false;
      int64_t n = std::atoll(v);
      (a == "--rows"            ? o.tiling.rows
       : a == "--gate-up-cols"  ? o.tiling.gateUpCols
       : a == "--down-cols"     ? o.tiling.downCols
       : a == "--gate-up-block" ? o.tiling.gateUpBlock
                                : o.tiling.downBlock) = n;
    } else if (a == "--f32-weights") {
      o.dtype = DType::F32;
    } else if (a == "--no-torch") {
      o.torch = false;
    } else if (a == "--no-unfused") {
      o.unfused = false;
    } else if (a == "--unfused-max-tokens") {
      const char *v = value();
      if (!v)
        return false;
      o.unfusedMaxTokens = std::atoll(v);
    } else {
      return false;
    }
  }
  for (int64_t t : o.tokens)
    if (t < 1)
      return false;
  return !o.tokens.empty();
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parseArgs(argc, argv, o)) {
    std::fprintf(
        stderr,
        "usage: moe-bench [--tokens 1,16,128,512] [--repeats N] "
        "[--python PYTHON] [--no-torch] [--no-unfused] "
        "[--unfused-max-tokens N]\n"
        "                 [--rows N] [--gate-up-cols N] [--down-cols N] "
        "[--gate-up-block N] [--down-block N] [--f32-weights]\n"
        "Benchmarks the DeepSeekMoE-16B MoE layer (H 2048, I 1408, E 64, k 6,\n"
        "2 shared; random BF16 weights, or F32 with --f32-weights) compiled\n"
        "by moec against OpenBLAS "
        "SGEMM of equal FLOPs, PyTorch eager and the copy bandwidth.\n");
    return 1;
  }
  ModelConfig config = deepseekMoE16B();
  const int64_t h = config.hidden_size, i = config.moe_intermediate_size,
                e = config.n_routed_experts, k = config.num_experts_per_tok,
                s = config.n_shared_experts;
  std::printf("preset: DeepSeekMoE-16B MoE layer (H %lld, I %lld, E %lld, k "
              "%lld, %lld shared), %s weights\n",
              (long long)h, (long long)i, (long long)e, (long long)k,
              (long long)s, dtypeName(o.dtype));
  std::printf("host: %u hardware threads, expert kernels use %lld-lane f32 "
              "vectors\n",
              std::thread::hardware_concurrency(),
              (long long)hostVectorWidth());
  MLPWeights weights = randomWeights(config, o.dtype);

  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  auto compile = [&](bool fused) -> std::unique_ptr<CPUJit> {
    auto module = buildMLPModule(context, config, 0, weights.dtypes());
    CompileOptions opts;
    opts.fuseExperts = fused;
    opts.tiling = o.tiling;
    StatusOr<std::unique_ptr<CPUJit>> jit = CPUJit::compile(*module, opts);
    if (!jit.ok()) {
      std::fprintf(stderr, "moe-bench: %s\n", jit.status().message().c_str());
      std::exit(1);
    }
    return std::move(*jit);
  };
  std::unique_ptr<CPUJit> fused = compile(true);
  std::unique_ptr<CPUJit> unfused = o.unfused ? compile(false) : nullptr;

  const double bandwidth = copyBandwidth();
  const double readBw = readBandwidth();
  std::map<int64_t, double> torch;
  if (o.torch)
    torch = torchBaseline(o, config);

  // One SGEMM with the same FLOPs per token: [T, H] x [H, 3*I*(k+S) + E].
  const int64_t gemmN = 3 * i * (k + s) + e;
  std::vector<float> gemmB(static_cast<size_t>(h) * gemmN, 0.01f);
  const double flopsPerToken = 2.0 * h * gemmN;

  std::printf("OpenBLAS: %s, kernels for %s, %d threads\n",
              openblas_get_config(), openblas_get_corename(),
              openblas_get_num_threads());
  std::printf("copy bandwidth: %.1f GB/s copied (memcpy), read bandwidth: "
              "%.1f GB/s\n\n",
              bandwidth / 1e9, readBw / 1e9);
  std::printf("%6s | %-22s | %-22s | %-22s | %-22s | %s\n", "T",
              "moec fused tok/s (GF/s)", "moec unfused", "OpenBLAS SGEMM",
              "PyTorch eager", "ratios");
  for (int64_t t : o.tokens) {
    std::vector<float> x(static_cast<size_t>(t) * h);
    for (size_t j = 0; j < x.size(); ++j)
      x[j] = std::sin(0.37f * j);
    std::vector<BufferArg> args{{x.data(), {t, h}}};
    for (const WeightOperand &w : weights.operands)
      args.push_back({w.data, w.shape});
    std::vector<int64_t> outShape;
    std::vector<float> out;
    auto run = [&](CPUJit &jit) {
      Status st = jit.callMatrixFunction(kMLPFunctionName, args, outShape, out);
      if (!st.ok()) {
        std::fprintf(stderr, "moe-bench: %s\n", st.message().c_str());
        std::exit(1);
      }
    };
    double fusedS = medianSeconds(o.repeats, [&] { run(*fused); });
    double unfusedS = 0;
    if (unfused && t <= o.unfusedMaxTokens)
      unfusedS = medianSeconds(1, [&] { run(*unfused); });
    std::vector<float> c(static_cast<size_t>(t) * gemmN);
    double gemmS = medianSeconds(o.repeats, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, gemmN, h, 1.0f,
                  x.data(), h, gemmB.data(), gemmN, 0.0f, c.data(), gemmN);
    });
    auto cell = [&](double secs) {
      char buf[64];
      if (secs <= 0)
        std::snprintf(buf, sizeof buf, "-");
      else
        std::snprintf(buf, sizeof buf, "%.1f (%.1f)", t / secs,
                      flopsPerToken * t / secs / 1e9);
      return std::string(buf);
    };
    std::string ratios =
        "fused/SGEMM " + std::to_string(gemmS / fusedS).substr(0, 5);
    if (torch.count(t))
      ratios +=
          ", fused/torch " + std::to_string(torch[t] / fusedS).substr(0, 5);
    if (t == 1) {
      // Bytes a one-token step must read: k routed + the shared experts'
      // weights and the router, in BF16.
      double bytes =
          dtypeSize(o.dtype) * (3.0 * h * i * (k + s) + double(e) * h);
      ratios += ", fused/copy-bound " +
                std::to_string(fusedS / (bytes / bandwidth)).substr(0, 5) +
                "x, fused/read-bound " +
                std::to_string(fusedS / (bytes / readBw)).substr(0, 5) + "x";
    }
    std::printf("%6lld | %-22s | %-22s | %-22s | %-22s | %s\n", (long long)t,
                cell(fusedS).c_str(), cell(unfusedS).c_str(),
                cell(gemmS).c_str(),
                cell(torch.count(t) ? torch[t] : 0).c_str(), ratios.c_str());
    std::fflush(stdout);
  }
  return 0;
}
