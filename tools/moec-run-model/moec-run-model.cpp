//===- moec-run-model.cpp - run a compiled model without the compiler -----===//
//
//   moec-run-model --model DIR --module FILE.so --prompt-ids 1,2,3
//                  --output L.npy [--new-tokens N --steps-output S.npy]
//                  [--timing]
//
// Runs a whole model from an ahead-of-time module written by `moe-compile
// model` (for the CPU or, with --target cuda, for a GPU) through the runtime
// C API: the logits of every prompt position go to --output [T, vocab_size];
// with --new-tokens N it then decodes N tokens greedily against the KV
// cache, prints their ids on one line and writes the logits each was chosen
// from to --steps-output [N, vocab_size]. With --timing it first runs the
// prompt once in a session of its own (module and device warm-up), then
// prints to stderr the time of the prefill and the mean time of a decode
// step, each including the copies of token ids in and logits out. It links
// the runtime library and nothing of LLVM or MLIR, so it, a module and a
// checkpoint are all a machine without the compiler needs (see README:
// "Running on another machine").
//
//===----------------------------------------------------------------------===//
#include "moec/Support/CommandLine.h"
#include "moec/Support/Npy.h"
#include "moec/runtime.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "moec-run-model: error: %s\n", message.c_str());
  return 1;
}

const char *kUsage =
    "usage: moec-run-model --model DIR --module FILE.so --prompt-ids IDS "
    "--output L.npy [--new-tokens N --steps-output S.npy] [--timing]\n";

double microsecondsSince(std::chrono::steady_clock::time_point start) {
  std::chrono::duration<double, std::micro> spent =
      std::chrono::steady_clock::now() - start;
  return spent.count();
}

/// A non-negative decimal integer below 2^31, or -1.
long long parseCount(const std::string &text) {
  if (text.empty() || text.size() > 10)
    return -1;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return -1;
    value = value * 10 + (c - '0');
  }
  return value < (1LL << 31) ? value : -1;
}

} // namespace

int main(int argc, char **argv) {
  std::string model, module, prompt, output, stepsOutput;
  long long newTokens = 0;
  bool timing = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (flag == "--timing") {
      timing = true;
      continue;
    }
    if (i + 1 >= argc)
      return fail(flag + " needs a value\n" + kUsage);
    std::string value = argv[++i];
    if (flag == "--model")
      model = value;
    else if (flag == "--module")
      module = value;
    else if (flag == "--prompt-ids")
      prompt = value;
    else if (flag == "--output")
      output = value;
    else if (flag == "--steps-output")
      stepsOutput = value;
    else if (flag == "--new-tokens") {
      if ((newTokens = parseCount(value)) < 0)
        return fail("--new-tokens takes a count, got '" + value + "'");
    } else
      return fail("unknown option " + flag + "\n" + kUsage);
  }
  if (model.empty() || module.empty() || prompt.empty() || output.empty())
    return fail(std::string("--model, --module, --prompt-ids and --output "
                            "are required\n") +
                kUsage);
  if ((newTokens > 0) != !stepsOutput.empty())
    return fail("--new-tokens and --steps-output go together");
  // Nothing the user gave is overwritten.
  if (moec::Status s = moec::checkOutputPath(output, model, {module}); !s.ok())
    return fail(s.message());
  if (!stepsOutput.empty())
    if (moec::Status s = moec::checkOutputPath(
            stepsOutput, model, {module, output}, "--steps-output");
        !s.ok())
      return fail(s.message());
  moec::StatusOr<std::vector<int32_t>> parsed = moec::parseTokenIds(prompt);
  if (!parsed.ok())
    return fail("--prompt-ids: " + parsed.status().message());
  const std::vector<int32_t> &ids = *parsed;

  moec_runtime_t *runtime = nullptr;
  moec_compiled_model_t *compiled = nullptr;
  moec_session_t *session = nullptr;
  auto check = [&](moec_status_t status) {
    if (!status)
      return true;
    fail(moec_status_message(status));
    moec_status_free(status);
    return false;
  };
  auto release = [&] {
    moec_session_release(session);
    moec_compiled_model_release(compiled);
    moec_runtime_release(runtime);
  };
  const int64_t tokens = static_cast<int64_t>(ids.size());
  moec_runtime_options_t options;
  moec_runtime_options_init(&options);
  bool ok = check(moec_runtime_create(&options, &runtime)) &&
            check(moec_compiled_model_load(runtime, model.c_str(),
                                           module.c_str(), &compiled)) &&
            check(moec_session_create(compiled, tokens + newTokens, &session));
  if (!ok) {
    release();
    return 1;
  }
  const int64_t vocab = moec_compiled_model_vocab_size(compiled);
  std::vector<float> logits(static_cast<size_t>(tokens * vocab));
  if (timing) {
    moec_session_t *warmUp = nullptr;
    ok = check(moec_session_create(compiled, tokens, &warmUp)) &&
         check(moec_session_logits(warmUp, ids.data(), tokens, logits.data()));
    moec_session_release(warmUp);
  }
  auto prefillStart = std::chrono::steady_clock::now();
  ok = ok &&
       check(moec_session_logits(session, ids.data(), tokens, logits.data()));
  const double prefillUs = microsecondsSince(prefillStart);
  // Greedy decoding from the last prompt position's logits.
  std::vector<float> current(logits.end() - vocab, logits.end()), steps;
  std::vector<int32_t> generated;
  auto decodeStart = std::chrono::steady_clock::now();
  for (long long n = 0; ok && n < newTokens; ++n) {
    int32_t best = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (current[v] > current[best])
        best = static_cast<int32_t>(v);
    generated.push_back(best);
    steps.insert(steps.end(), current.begin(), current.end());
    if (n + 1 < newTokens)
      ok = check(moec_session_decode(session, best, current.data()));
  }
  const double decodeUs = microsecondsSince(decodeStart);
  release();
  if (!ok)
    return 1;
  if (timing) {
    std::fprintf(stderr, "moec-run-model: prefill of %lld tokens, %.1f us\n",
                 static_cast<long long>(tokens), prefillUs);
    if (newTokens > 1)
      std::fprintf(
          stderr, "moec-run-model: %lld decode steps, %.1f us per step\n",
          newTokens - 1, decodeUs / static_cast<double>(newTokens - 1));
  }
  if (moec::Status s = moec::writeNpy(output, {tokens, vocab}, logits.data());
      !s.ok())
    return fail(s.message());
  if (newTokens > 0) {
    if (moec::Status s = moec::writeNpy(
            stepsOutput, {static_cast<int64_t>(newTokens), vocab},
            steps.data());
        !s.ok())
      return fail(s.message());
    for (size_t i = 0; i < generated.size(); ++i)
      std::printf(i ? " %d" : "%d", generated[i]);
    std::printf("\n");
  }
  return 0;
}
