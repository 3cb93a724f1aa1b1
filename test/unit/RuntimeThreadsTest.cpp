//===- RuntimeThreadsTest.cpp - sessions on one model from many threads ---===//
//
// moec/runtime.h promises that sessions on one compiled model run from
// several threads at once and give what they give alone. Through the C API,
// this runs the same prompts and greedy decode steps one session at a time,
// then from several threads at once, and requires identical logits; then
// the same through moec_generate with a streaming callback. Built with
// -DMOEC_SANITIZE=thread, it is the ThreadSanitizer check of the runtime.
//
//   moec-runtime-threads-test MODEL_DIR MODULE.so
//
//===----------------------------------------------------------------------===//
#include "moec/runtime.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 4;
constexpr int kDecodeSteps = 6;

/// What one sequence produced, or the error that stopped it.
struct Run {
  std::string error;
  std::vector<float> logits;
  std::vector<int32_t> tokens;
};

bool failed(moec_status_t status, Run &run) {
  if (!status)
    return false;
  run.error = moec_status_message(status);
  moec_status_free(status);
  return true;
}

/// A session with room for `prompt` and the decode steps, or null with
/// the error in `run`.
moec_session_t *sessionFor(const moec_compiled_model_t *model,
                           const std::vector<int32_t> &prompt, Run &run) {
  moec_session_t *session = nullptr;
  failed(moec_session_create(model,
                             static_cast<int64_t>(prompt.size()) + kDecodeSteps,
                             &session),
         run);
  return session;
}

/// Greedy generation of kDecodeSteps + 1 tokens, with no stop ids.
moec_generate_options_t greedyWithoutStops() {
  static const int32_t none = -1;
  moec_generate_options_t options;
  moec_generate_options_init(&options);
  options.max_new_tokens = kDecodeSteps + 1;
  options.stop_ids = &none;
  options.num_stop_ids = 0;
  return options;
}

/// The logits of a prefill of `prompt` and of each greedy decode step after
/// it, concatenated, through prefill and decode calls.
Run stepByStep(const moec_compiled_model_t *model,
               const std::vector<int32_t> &prompt) {
  Run run;
  moec_session_t *session = sessionFor(model, prompt, run);
  if (!session)
    return run;
  const int64_t vocab = moec_compiled_model_vocab_size(model);
  std::vector<float> logits(vocab);
  for (int step = 0; step <= kDecodeSteps; ++step) {
    moec_status_t s =
        step == 0
            ? moec_session_prefill(session, prompt.data(),
                                   static_cast<int64_t>(prompt.size()),
                                   logits.data())
            : moec_session_decode(session, run.tokens.back(), logits.data());
    if (failed(s, run))
      break;
    run.logits.insert(run.logits.end(), logits.begin(), logits.end());
    run.tokens.push_back(static_cast<int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin()));
  }
  moec_session_release(session);
  return run;
}

int collect(int32_t, const float *logits, int64_t vocab, void *user) {
  auto *all = static_cast<std::vector<float> *>(user);
  all->insert(all->end(), logits, logits + vocab);
  return 0;
}

/// The same through moec_generate (greedy, no stop ids).
Run generated(const moec_compiled_model_t *model,
              const std::vector<int32_t> &prompt) {
  Run run;
  moec_session_t *session = sessionFor(model, prompt, run);
  if (!session)
    return run;
  moec_generate_options_t options = greedyWithoutStops();
  run.tokens.resize(kDecodeSteps + 1);
  int64_t count = 0;
  if (!failed(moec_generate(session, prompt.data(),
                            static_cast<int64_t>(prompt.size()), &options,
                            collect, &run.logits, run.tokens.data(), &count),
              run))
    run.tokens.resize(count);
  moec_session_release(session);
  return run;
}

int stopAfterTwo(int32_t, const float *, int64_t, void *user) {
  return ++*static_cast<int *>(user) == 2;
}

/// A callback that returns nonzero ends generation after its token; the
/// tokens before it are those of an unstopped run.
std::string stoppedByCallback(const moec_compiled_model_t *model,
                              const std::vector<int32_t> &prompt,
                              const std::vector<int32_t> &unstopped) {
  Run run;
  moec_session_t *session = sessionFor(model, prompt, run);
  if (!session)
    return run.error;
  moec_generate_options_t options = greedyWithoutStops();
  int calls = 0;
  int32_t tokens[kDecodeSteps + 1];
  int64_t count = -1;
  std::string problem;
  if (failed(moec_generate(session, prompt.data(),
                           static_cast<int64_t>(prompt.size()), &options,
                           stopAfterTwo, &calls, tokens, &count),
             run))
    problem = run.error;
  else if (calls != 2 || count != 2 ||
           std::vector<int32_t>(tokens, tokens + 2) !=
               std::vector<int32_t>(unstopped.begin(), unstopped.begin() + 2))
    problem = "a callback that says stop after 2 tokens gave " +
              std::to_string(count) + " tokens in " + std::to_string(calls) +
              " calls";
  // The last token is not in the cache yet.
  else if (moec_session_position(session) !=
           static_cast<int64_t>(prompt.size()) + 1)
    problem = "after generating 2 tokens the session is at position " +
              std::to_string(moec_session_position(session));
  moec_session_release(session);
  return problem;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "moec-runtime-threads-test: %s\n", message.c_str());
  return 1;
}

/// Runs every prompt alone, then all at once on their own threads; the
/// number of disagreements.
template <typename RunFn>
int compare(const char *what, const moec_compiled_model_t *model,
            const std::vector<std::vector<int32_t>> &prompts, RunFn runOne) {
  std::vector<Run> expected, results(prompts.size());
  for (const std::vector<int32_t> &prompt : prompts)
    expected.push_back(runOne(model, prompt));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < prompts.size(); ++t)
    threads.emplace_back([&, t] { results[t] = runOne(model, prompts[t]); });
  for (std::thread &thread : threads)
    thread.join();
  int failures = 0;
  for (size_t t = 0; t < prompts.size(); ++t) {
    std::string where = std::string(what) + ", thread " + std::to_string(t);
    if (!expected[t].error.empty() || !results[t].error.empty())
      failures += fail(where + ": " + expected[t].error + results[t].error);
    else if (results[t].logits != expected[t].logits ||
             results[t].tokens != expected[t].tokens)
      failures += fail(where + ": differs from the same session run alone");
    else if (results[t].tokens.size() != kDecodeSteps + 1)
      failures +=
          fail(where + ": " + std::to_string(results[t].tokens.size()) +
               " tokens instead of " + std::to_string(kDecodeSteps + 1));
  }
  return failures;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3)
    return fail("usage: moec-runtime-threads-test MODEL_DIR MODULE.so");
  moec_runtime_t *runtime = nullptr;
  moec_compiled_model_t *model = nullptr;
  moec_status_t s = moec_runtime_create(nullptr, &runtime);
  if (!s)
    s = moec_compiled_model_load(runtime, argv[1], argv[2], &model);
  moec_runtime_release(runtime);
  if (s) {
    int rc = fail(moec_status_message(s));
    moec_status_free(s);
    return rc;
  }

  const int32_t vocab =
      static_cast<int32_t>(moec_compiled_model_vocab_size(model));
  std::vector<std::vector<int32_t>> prompts(kThreads);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < 3 + 5 * t; ++i)
      prompts[t].push_back((7 * t + 3 * i + 1) % vocab);

  int failures = compare("prefill and decode", model, prompts, stepByStep) +
                 compare("generate", model, prompts, generated);
  // Both ways must agree with each other too.
  if (!failures)
    for (int t = 0; t < kThreads; ++t)
      if (stepByStep(model, prompts[t]).tokens !=
          generated(model, prompts[t]).tokens)
        failures += fail("thread " + std::to_string(t) +
                         ": moec_generate's tokens differ from decode steps");
  if (!failures) {
    std::string problem = stoppedByCallback(
        model, prompts[1], generated(model, prompts[1]).tokens);
    if (!problem.empty())
      failures += fail(problem);
  }
  moec_compiled_model_release(model);
  if (failures)
    return 1;
  std::printf("%d sessions on %d threads agree with sequential runs\n",
              kThreads, kThreads);
  return 0;
}
