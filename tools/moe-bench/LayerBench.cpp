//===- LayerBench.cpp - the DeepSeekMoE-16B MoE layer, side by side -------===//
//
// Times one DeepSeekMoE MLP block compiled by moec (fused kernels and the
// unfused lowering) through the same spec, weight binding and calls as
// `moe-run layer`, beside baselines of the same work: an OpenBLAS SGEMM of
// equal FLOPs, PyTorch eager (HF moe_infer style, torch_moe.py) and, for
// decode, the memory-bandwidth bound.
//
//===----------------------------------------------------------------------===//
#include "Bench.h"

#include "Baselines.h"

#include "moec/Compiler/Compile.h"
#include "moec/Pipelines/Pipelines.h"
#include "moec/Runtime/Weights.h"
#include "moec/Target/CPUTarget.h"

#include <cblas.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <thread>

using namespace moec;
using namespace moec::bench;

namespace {

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

/// Random tensors of layer 0's MLP under their checkpoint names (one per
/// expert, as checkpoints store them), uniform with the variance of
/// 1/fan_in, in `dtype`.
class RandomLayer {
public:
  RandomLayer(const ModelConfig &c, DType dtype) {
    const int64_t h = c.hidden_size, i = c.moe_intermediate_size,
                  s = c.n_shared_experts * i;
    const std::string p = "model.layers.0.mlp.";
    add(p + "gate.weight", {c.n_routed_experts, h}, dtype);
    for (int64_t e = 0; e < c.n_routed_experts; ++e) {
      std::string expert = p + "experts." + std::to_string(e) + ".";
      add(expert + "gate_proj.weight", {i, h}, dtype);
      add(expert + "up_proj.weight", {i, h}, dtype);
      add(expert + "down_proj.weight", {h, i}, dtype);
    }
    add(p + "shared_experts.gate_proj.weight", {s, h}, dtype);
    add(p + "shared_experts.up_proj.weight", {s, h}, dtype);
    add(p + "shared_experts.down_proj.weight", {h, s}, dtype);
  }
  std::vector<TensorView> views;

private:
  void add(const std::string &name, std::vector<int64_t> shape, DType dtype) {
    TensorView view;
    view.name = name;
    view.dtype = dtype;
    view.shape = std::move(shape);
    size_t n = view.numElements();
    float scale = std::sqrt(3.0f / static_cast<float>(view.shape.back()));
    storage.emplace_back(n * dtypeSize(dtype));
    std::vector<uint8_t> &bytes = storage.back();
    for (size_t j = 0; j < n; ++j) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      float u = static_cast<float>(state >> 40) / static_cast<float>(1 << 24);
      float v = (2.0f * u - 1.0f) * scale;
      if (dtype == DType::F32)
        reinterpret_cast<float *>(bytes.data())[j] = v;
      else
        reinterpret_cast<uint16_t *>(bytes.data())[j] = floatToBf16(v);
    }
    view.data = bytes.data();
    views.push_back(view);
  }
  std::vector<std::vector<uint8_t>> storage;
  uint64_t state = 0x9E3779B97F4A7C15ull;
};

/// A compiled MLP with its weights bound, ready to time.
class BoundMLP {
public:
  BoundMLP(const ModuleSpec &spec, const Checkpoint &ckpt,
           const CompileOptions &options)
      : spec(spec) {
    StatusOr<std::unique_ptr<CompiledModule>> compiled =
        compileModule(spec, options);
    check(compiled.status());
    module = std::move(*compiled);
    StatusOr<PackedFunction> fn = module->lookup(spec.functions[0].name);
    check(fn.status());
    entry = *fn;
    StatusOr<std::vector<WeightBuffer>> bound =
        bindWeights(ckpt, spec.functions[0], spec.mlp, false);
    check(bound.status());
    weights = std::move(*bound);
  }
  void run(const std::vector<float> &x, std::vector<float> &y, int64_t t) {
    const int64_t h = spec.config.hidden_size;
    std::vector<Argument> args{Argument::buffer(x.data(), {t, h}),
                               Argument::buffer(y.data(), {t, h})};
    for (const WeightBuffer &w : weights)
      args.push_back(Argument::buffer(w.data(), w.shape));
    check(invoke(entry, spec.functions[0], args));
  }

private:
  static void check(const Status &s) {
    if (!s.ok()) {
      std::fprintf(stderr, "moe-bench: %s\n", s.message().c_str());
      std::exit(1);
    }
  }
  const ModuleSpec &spec;
  std::unique_ptr<CompiledModule> module;
  PackedFunction entry = nullptr;
  std::vector<WeightBuffer> weights;
};

/// PyTorch eager seconds per token count, or empty if unavailable.
std::map<int64_t, double> torchBaseline(const LayerBenchOptions &o,
                                        const ModelConfig &c) {
  std::ostringstream cmd, tokens;
  for (size_t i = 0; i < o.tokens.size(); ++i)
    tokens << (i ? "," : "") << o.tokens[i];
  cmd << o.python << " " << baselineScript("torch_moe.py") << " --hidden "
      << c.hidden_size << " --width " << c.moe_intermediate_size
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

/// The layer's input for `t` tokens: deterministic, the same for every
/// contender.
std::vector<float> layerInput(int64_t t, int64_t h) {
  std::vector<float> x(static_cast<size_t>(t) * h);
  for (size_t j = 0; j < x.size(); ++j)
    x[j] = std::sin(0.37f * j);
  return x;
}

/// One SGEMM with the layer's FLOPs per token: [T, H] x [H, 3*I*(k+S) + E].
class EqualFlopsGemm {
public:
  explicit EqualFlopsGemm(const ModelConfig &c)
      : h(c.hidden_size), n(3 * c.moe_intermediate_size *
                                (c.num_experts_per_tok + c.n_shared_experts) +
                            c.n_routed_experts),
        b(static_cast<size_t>(h) * n, 0.01f) {}
  double flopsPerToken() const { return 2.0 * h * n; }
  /// Median seconds of `repeats` products on the t rows of `x`.
  double seconds(const std::vector<float> &x, int64_t t, int repeats) const {
    std::vector<float> c(static_cast<size_t>(t) * n);
    return medianSeconds(repeats, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, n, h, 1.0f,
                  x.data(), h, b.data(), n, 0.0f, c.data(), n);
    });
  }

private:
  int64_t h, n;
  std::vector<float> b;
};

} // namespace

int moec::bench::runLayerBench(const LayerBenchOptions &o) {
  ModelConfig config = deepseekMoE16B();
  const int64_t h = config.hidden_size, i = config.moe_intermediate_size,
                e = config.n_routed_experts, k = config.num_experts_per_tok,
                s = config.n_shared_experts;
  std::printf("preset: DeepSeekMoE-16B MoE layer (H %lld, I %lld, E %lld, k "
              "%lld, %lld shared), %s weights\n",
              (long long)h, (long long)i, (long long)e, (long long)k,
              (long long)s, dtypeName(o.dtype));
  StatusOr<CPUTarget> target = CPUTarget::lookup(o.cpu);
  if (!target.ok()) {
    std::fprintf(stderr, "moe-bench: %s\n", target.status().message().c_str());
    return 1;
  }
  const ExpertKernelTiling tiling = target->tiling(o.tiling);
  std::printf("host: %u hardware threads, %s; code for %s: %lld-lane f32 "
              "vectors, tiles %lld rows x %lld (gate/up) and x %lld (down) "
              "panels\n",
              std::thread::hardware_concurrency(),
              CPUTarget::host().cpu.c_str(), target->cpu.c_str(),
              (long long)tiling.vectorWidth, (long long)tiling.rows,
              (long long)tiling.gateUpCols, (long long)tiling.downCols);
  RandomLayer layer(config, o.dtype);
  std::unique_ptr<Checkpoint> ckpt = Checkpoint::fromMemory(layer.views);
  CompileOptions options;
  options.cpu = o.cpu;
  options.tiling = o.tiling;
  CompileOptions unfusedOptions = options;
  unfusedOptions.fuseExperts = false;
  StatusOr<ModuleSpec> spec =
      deriveMLPModuleSpec(config, *ckpt, 0, *weightLayoutFor(options));
  StatusOr<ModuleSpec> unfusedSpec =
      deriveMLPModuleSpec(config, *ckpt, 0, *weightLayoutFor(unfusedOptions));
  if (!spec.ok() || !unfusedSpec.ok()) {
    std::fprintf(stderr, "moe-bench: %s\n",
                 (spec.ok() ? unfusedSpec : spec).status().message().c_str());
    return 1;
  }
  BoundMLP fused(*spec, *ckpt, options);
  std::unique_ptr<BoundMLP> unfused;
  if (o.unfused)
    unfused = std::make_unique<BoundMLP>(*unfusedSpec, *ckpt, unfusedOptions);

  const double bandwidth = copyBandwidth();
  const double readBw = readBandwidth();
  std::map<int64_t, double> torch;
  if (o.torch)
    torch = torchBaseline(o, config);

  const EqualFlopsGemm gemm(config);
  const double flopsPerToken = gemm.flopsPerToken();

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
    std::vector<float> x = layerInput(t, h), y(x.size());
    double fusedS = medianSeconds(o.repeats, [&] { fused.run(x, y, t); });
    double unfusedS = 0;
    if (unfused && t <= o.unfusedMaxTokens)
      unfusedS = medianSeconds(1, [&] { unfused->run(x, y, t); });
    double gemmS = gemm.seconds(x, t, o.repeats);
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
      // weights and the router.
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

int moec::bench::runSweepBench(const SweepBenchOptions &o) {
  ModelConfig config = deepseekMoE16B();
  StatusOr<CPUTarget> target = CPUTarget::lookup(o.cpu);
  if (!target.ok() || !target->checkRunsOnHost().ok()) {
    std::fprintf(stderr, "moe-bench: %s\n",
                 (target.ok() ? target->checkRunsOnHost() : target.status())
                     .message()
                     .c_str());
    return 1;
  }
  const int64_t h = config.hidden_size;
  std::printf("preset: DeepSeekMoE-16B MoE layer, BF16 weights; code for %s "
              "(%lld-lane vectors, %lld registers) on %s\n",
              target->cpu.c_str(), (long long)target->vectorWidth,
              (long long)target->vectorRegisters,
              CPUTarget::host().cpu.c_str());
  RandomLayer layer(config, DType::BF16);
  std::unique_ptr<Checkpoint> ckpt = Checkpoint::fromMemory(layer.views);

  // The SGEMM of equal FLOPs per token count, once.
  const EqualFlopsGemm equalFlops(config);
  std::map<int64_t, std::vector<float>> inputs;
  std::map<int64_t, double> gemm;
  for (int64_t t : o.tokens) {
    inputs[t] = layerInput(t, h);
    gemm[t] = equalFlops.seconds(inputs[t], t, o.repeats);
  }
  std::printf("OpenBLAS kernels for %s; each cell: tok/s and the ratio to "
              "SGEMM of equal FLOPs at that T\n\n",
              openblas_get_corename());
  std::printf("rows gate/up down block |");
  for (int64_t t : o.tokens)
    std::printf(" T=%-14lld |", (long long)t);
  std::printf("\n");
  for (int64_t rows : o.rows)
    for (int64_t gateUp : o.gateUpCols)
      for (int64_t down : o.downCols)
        for (int64_t block : o.blocks) {
          CompileOptions options;
          options.cpu = o.cpu;
          options.tiling = {0, rows, gateUp, down, block, block};
          StatusOr<WeightLayout> layout = weightLayoutFor(options);
          StatusOr<ModuleSpec> spec =
              layout.ok() ? deriveMLPModuleSpec(config, *ckpt, 0, *layout)
                          : StatusOr<ModuleSpec>(layout.status());
          if (!spec.ok()) {
            std::fprintf(stderr, "moe-bench: %s\n",
                         spec.status().message().c_str());
            return 1;
          }
          BoundMLP mlp(*spec, *ckpt, options);
          std::printf("%4lld %7lld %4lld %5lld |", (long long)rows,
                      (long long)gateUp, (long long)down, (long long)block);
          for (int64_t t : o.tokens) {
            std::vector<float> y(inputs[t].size());
            double secs =
                medianSeconds(o.repeats, [&] { mlp.run(inputs[t], y, t); });
            std::printf(" %8.1f  %5.3fx |", t / secs, gemm[t] / secs);
          }
          std::printf("\n");
          std::fflush(stdout);
        }
  return 0;
}
