//===- ModelBench.cpp - a whole model: prefill and decode, side by side ---===//
//
// Times a checkpoint compiled by moec through the runtime that `moe-run
// generate` uses (LoadedModel, Session): a prefill of a prompt, and decode
// steps (one token against the KV cache) after prefills of several context
// lengths. Beside it, in the same run: the read bandwidth, which bounds a
// decode step from below by the bytes of weights it must read, PyTorch eager
// (torch_model.py for `deepseek`, transformers_model.py for the MLA model
// types) and llama.cpp (llama_cpp_model.py) on the same checkpoint.
//
//===----------------------------------------------------------------------===//
#include "Bench.h"

#include "Baselines.h"

#include "moec/Compiler/Compile.h"
#include "moec/Runtime/Model.h"
#include "moec/Tools/ToolSupport.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

using namespace moec;
using namespace moec::bench;

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

/// Resident memory of this process in bytes (VmRSS).
double residentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stod(line.substr(6)) * 1024;
  return 0;
}

/// Elements of one layer's attention weights: q, k, v and o projections,
/// or MLA's (q_proj or q_a_proj, q_a_layernorm and q_b_proj;
/// kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj).
double attentionWeights(const ModelConfig &c) {
  const double h = c.hidden_size, heads = c.num_attention_heads;
  if (c.model_type == ModelType::Deepseek) {
    const double hd = c.headDim();
    const double q = heads * hd, kv = c.num_key_value_heads * hd;
    return h * q + 2 * h * kv + q * h;
  }
  const double qWidth = heads * (c.qk_nope_head_dim + c.qk_rope_head_dim);
  const double rank = c.q_lora_rank, latent = c.kv_lora_rank;
  const double q =
      c.q_lora_rank > 0 ? h * rank + rank + rank * qWidth : h * qWidth;
  return q + h * (latent + c.qk_rope_head_dim) + latent +
         heads * (c.qk_nope_head_dim + c.v_head_dim) * latent +
         heads * c.v_head_dim * h;
}

/// Bytes of weights one decode step reads: every layer's attention and
/// norms, dense MLPs whole, and of an MoE block the router, k routed
/// experts and the shared experts; the final norm, lm_head and one
/// embedding row. The element size is that of the checkpoint (`bytes`).
double decodeWeightBytes(const ModelConfig &c, double bytes) {
  const double h = c.hidden_size;
  double total = 2 * h * bytes + h * c.vocab_size * bytes;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    total += (2 * h + attentionWeights(c)) * bytes;
    if (!c.isMoELayer(l)) {
      total += 3.0 * h * c.intermediate_size * bytes;
      continue;
    }
    total += c.n_routed_experts * h * bytes;
    total += 3.0 * h * c.moe_intermediate_size *
             (c.num_experts_per_tok + c.n_shared_experts) * bytes;
  }
  return total;
}

/// Runs `command` and returns the lines of its standard output that are
/// JSON objects.
std::vector<std::string> jsonLines(const std::string &command) {
  std::vector<std::string> lines;
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    return lines;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, pipe))
    if (buf[0] == '{')
      lines.push_back(buf);
  pclose(pipe);
  return lines;
}

/// {"prefill": seconds, context: seconds per token} from a contender's
/// output lines.
struct ContenderTimes {
  double prefill = 0;
  std::map<int64_t, double> decode;
  std::string error;
};

ContenderTimes parseContender(const std::vector<std::string> &lines) {
  ContenderTimes t;
  for (const std::string &line : lines) {
    long long n;
    double s;
    char what[32];
    if (std::sscanf(line.c_str(),
                    "{\"what\": \"%31[a-z]\", \"tokens\": %lld, "
                    "\"seconds\": %lf",
                    what, &n, &s) == 3)
      t.prefill = s;
    else if (std::sscanf(line.c_str(),
                         "{\"what\": \"%31[a-z]\", \"context\": %lld, "
                         "\"seconds_per_token\": %lf",
                         what, &n, &s) == 3)
      t.decode[n] = s;
    else if (line.find("\"error\"") != std::string::npos)
      t.error = line;
  }
  return t;
}

std::string cell(double secondsValue, double tokens) {
  char buf[64];
  if (secondsValue <= 0)
    return "-";
  std::snprintf(buf, sizeof buf, "%.1f tok/s (%.1f ms)", tokens / secondsValue,
                secondsValue / tokens * 1e3);
  return buf;
}

/// Loads the model with a KV cache of `kvCache`, compiles it, and times a
/// prefill and decode steps at each context. `config` receives the model's
/// config.
ContenderTimes timeMoec(const ModelBenchOptions &o, DType kvCache,
                        ModelConfig &config) {
  auto check = [](const Status &s) {
    if (!s.ok()) {
      std::fprintf(stderr, "moe-bench: %s\n", s.message().c_str());
      std::exit(1);
    }
  };
  auto start = std::chrono::steady_clock::now();
  CompileOptions compileOptions;
  compileOptions.cpu = o.cpu;
  ModelOptions options;
  options.kvCache = kvCache;
  StatusOr<WeightLayout> layout = weightLayoutFor(compileOptions);
  check(layout.status());
  options.layout = *layout;
  StatusOr<std::unique_ptr<LoadedModel>> model =
      LoadedModel::open(o.model, options);
  check(model.status());
  config = (*model)->config();
  StatusOr<std::unique_ptr<CompiledModule>> module =
      compileModule((*model)->spec(), compileOptions);
  check(module.status());
  const double compileSeconds = seconds(start);
  start = std::chrono::steady_clock::now();
  check((*model)->load(std::move(*module)));
  std::printf("moec (%s KV cache): compiled in %.1f s, weights bound in %.1f "
              "s (%.2f GB stacked expert copies), resident %.2f GB\n",
              dtypeName(kvCache), compileSeconds, seconds(start),
              (*model)->ownedWeightBytes() / 1e9, residentBytes() / 1e9);
  if (StatusOr<std::unique_ptr<Session>> probe = Session::create(**model, 1);
      probe.ok())
    std::printf("  KV cache: %lld bytes per token (%lld per token and "
                "layer)\n",
                static_cast<long long>((*probe)->cacheBytesPerPosition()),
                static_cast<long long>((*probe)->cacheBytesPerPosition() /
                                       config.num_hidden_layers));

  std::mt19937 rng(0);
  auto randomIds = [&](int64_t n) {
    std::vector<int32_t> ids(n);
    for (int32_t &id : ids)
      id = static_cast<int32_t>(rng() % config.vocab_size);
    return ids;
  };
  ContenderTimes times;
  std::vector<float> logits;
  times.prefill = medianSeconds(o.repeats, [&] {
    StatusOr<std::unique_ptr<Session>> session =
        Session::create(**model, o.promptTokens);
    check(session.status());
    check((*session)->forward(randomIds(o.promptTokens), false, logits));
  });
  // Decode steps of the contexts interleaved, one step each in turn, so
  // that a shared machine's drifting speed affects every context alike.
  std::vector<std::unique_ptr<Session>> sessions;
  std::vector<std::vector<float>> lastLogits(o.contexts.size());
  for (size_t i = 0; i < o.contexts.size(); ++i) {
    StatusOr<std::unique_ptr<Session>> session =
        Session::create(**model, o.contexts[i] + o.decodeSteps + 1);
    check(session.status());
    check((*session)->forward(randomIds(o.contexts[i]), false, lastLogits[i]));
    sessions.push_back(std::move(*session));
  }
  std::vector<std::vector<double>> steps(o.contexts.size());
  for (int64_t s = 0; s <= o.decodeSteps; ++s)
    for (size_t i = 0; i < o.contexts.size(); ++i) {
      std::vector<float> &l = lastLogits[i];
      int32_t token = static_cast<int32_t>(
          std::max_element(l.begin(), l.end()) - l.begin());
      auto t0 = std::chrono::steady_clock::now();
      check(sessions[i]->forward({token}, false, l));
      if (s > 0) // the first step warms up
        steps[i].push_back(seconds(t0));
    }
  for (size_t i = 0; i < o.contexts.size(); ++i) {
    std::sort(steps[i].begin(), steps[i].end());
    times.decode[o.contexts[i]] = steps[i][steps[i].size() / 2];
  }
  return times;
}

} // namespace

int moec::bench::runModelBench(const ModelBenchOptions &o) {
  std::printf("model: %s\n", o.model.c_str());
  std::printf("host: %u hardware threads\n",
              std::thread::hardware_concurrency());
  const double readBw = readBandwidth();
  std::printf("read bandwidth: %.1f GB/s\n", readBw / 1e9);

  ModelConfig c;
  std::vector<std::pair<std::string, ContenderTimes>> moecRuns;
  for (DType kv : o.kvCaches)
    moecRuns.push_back({std::string("moec, ") + dtypeName(kv) + " KV cache",
                        timeMoec(o, kv, c)});

  const double weightBytes =
      decodeWeightBytes(c, c.dtype == "float32" ? 4.0 : 2.0);
  const double bound = weightBytes / readBw;
  std::printf("decode step reads %.1f MB of weights: read-bandwidth bound "
              "%.2f ms\n\n",
              weightBytes / 1e6, bound * 1e3);

  std::vector<std::pair<std::string, ContenderTimes>> contenders;
  std::ostringstream contexts;
  for (size_t i = 0; i < o.contexts.size(); ++i)
    contexts << (i ? "," : "") << o.contexts[i];
  std::ostringstream common;
  common << " --model " << o.model << " --prompt-tokens " << o.promptTokens
         << " --contexts " << contexts.str() << " --decode-steps "
         << o.decodeSteps << " --repeats " << o.repeats;
  // transformers has no `deepseek` model type (its code is remote):
  // torch_model.py ports it; DeepseekV2/V3 run as transformers has them.
  const bool latent = c.model_type != ModelType::Deepseek;
  const std::string torchScript =
      latent ? "transformers_model.py" : "torch_model.py";
  const std::string torchName =
      latent ? "PyTorch eager (transformers), " : "PyTorch eager, ";
  for (const std::string &dtype : o.torchDtypes)
    contenders.push_back(
        {torchName + dtype + " weights",
         parseContender(jsonLines(o.python + " " + baselineScript(torchScript) +
                                  " --dtype " + dtype + common.str() +
                                  " 2>/dev/null"))});
  for (const std::string &gguf : o.ggufs)
    contenders.push_back(
        {"llama.cpp " + gguf,
         parseContender(
             jsonLines(o.python + " " + baselineScript("llama_cpp_model.py") +
                       " --gguf " + gguf + common.str() + " 2>/dev/null"))});

  std::printf(
      "%-40s | %-24s", "",
      ("prefill " + std::to_string(o.promptTokens) + " tokens").c_str());
  for (int64_t context : o.contexts)
    std::printf(" | %-24s", ("decode at " + std::to_string(context)).c_str());
  std::printf("\n");
  for (const auto *runs : {&moecRuns, &contenders})
    for (const auto &[name, t] : *runs) {
      std::printf("%-40s | %-24s", name.c_str(),
                  cell(t.prefill, o.promptTokens).c_str());
      for (int64_t context : o.contexts)
        std::printf(" | %-24s",
                    cell(t.decode.count(context) ? t.decode.at(context) : 0, 1)
                        .c_str());
      std::printf("%s\n", t.prefill > 0 ? "" : "  (did not run)");
    }

  std::printf("\n");
  for (const auto &[moecName, m] : moecRuns) {
    std::printf("%s: decode / read-bandwidth bound", moecName.c_str());
    for (int64_t context : o.contexts)
      std::printf(" %.2fx at %lld", m.decode.at(context) / bound,
                  (long long)context);
    if (o.contexts.size() > 1)
      std::printf("; decode at %lld / at %lld: %.2f",
                  (long long)o.contexts.back(), (long long)o.contexts.front(),
                  m.decode.at(o.contexts.back()) /
                      m.decode.at(o.contexts.front()));
    std::printf("\n");
    for (const auto &[name, t] : contenders) {
      if (t.prefill <= 0)
        continue;
      std::printf("  speed-up over %s: prefill %.2fx", name.c_str(),
                  t.prefill / m.prefill);
      for (int64_t context : o.contexts)
        if (t.decode.count(context))
          std::printf(", decode at %lld %.2fx", (long long)context,
                      t.decode.at(context) / m.decode.at(context));
      std::printf("\n");
    }
  }
  return 0;
}
