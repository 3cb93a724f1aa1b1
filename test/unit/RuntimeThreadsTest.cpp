//===- RuntimeThreadsTest.cpp - sessions on one model from many threads ---===//
//
// A LoadedModel is immutable once loaded, and any number of Sessions may run
// on it at once (Model.h). This runs the same prompts and greedy decode
// steps one session at a time, then from several threads at once, and
// requires identical logits. Built with -DMOEC_SANITIZE=thread, it is the
// ThreadSanitizer check of the runtime.
//
//   moec-runtime-threads-test MODEL_DIR MODULE.so
//
//===----------------------------------------------------------------------===//
#include "moec/Runtime/CompiledModule.h"
#include "moec/Runtime/Model.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace moec;

namespace {

constexpr int kThreads = 4;
constexpr int kDecodeSteps = 6;

/// The logits of a prefill of `prompt` and of each greedy decode step after
/// it, concatenated.
StatusOr<std::vector<float>> run(const LoadedModel &model,
                                 const std::vector<int32_t> &prompt) {
  StatusOr<std::unique_ptr<Session>> session = Session::create(
      model, static_cast<int64_t>(prompt.size()) + kDecodeSteps);
  if (!session.ok())
    return session.status();
  std::vector<float> all, logits;
  std::vector<int32_t> ids = prompt;
  for (int step = 0; step <= kDecodeSteps; ++step) {
    if (Status s = (*session)->forward(ids, /*allLogits=*/false, logits);
        !s.ok())
      return s;
    all.insert(all.end(), logits.begin(), logits.end());
    ids = {static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                logits.begin())};
  }
  return all;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "moec-runtime-threads-test: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3)
    return fail("usage: moec-runtime-threads-test MODEL_DIR MODULE.so");
  StatusOr<std::unique_ptr<LoadedModel>> model = LoadedModel::open(argv[1]);
  if (!model.ok())
    return fail(model.status().message());
  StatusOr<std::unique_ptr<CompiledModule>> module =
      loadSharedLibraryModule(argv[2]);
  if (!module.ok())
    return fail(module.status().message());
  if (Status s = (*model)->load(std::move(*module)); !s.ok())
    return fail(s.message());

  const int32_t vocab = static_cast<int32_t>((*model)->config().vocab_size);
  std::vector<std::vector<int32_t>> prompts(kThreads);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < 3 + 5 * t; ++i)
      prompts[t].push_back((7 * t + 3 * i + 1) % vocab);

  std::vector<std::vector<float>> expected(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    StatusOr<std::vector<float>> logits = run(**model, prompts[t]);
    if (!logits.ok())
      return fail(logits.status().message());
    expected[t] = std::move(*logits);
  }

  std::vector<StatusOr<std::vector<float>>> results(kThreads,
                                                    Status::error("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { results[t] = run(**model, prompts[t]); });
  for (std::thread &thread : threads)
    thread.join();

  int failures = 0;
  for (int t = 0; t < kThreads; ++t) {
    if (!results[t].ok()) {
      failures += fail("thread " + std::to_string(t) + ": " +
                       results[t].status().message());
    } else if (*results[t] != expected[t]) {
      failures += fail("thread " + std::to_string(t) +
                       ": logits differ from the same session run alone");
    }
  }
  if (failures)
    return 1;
  std::printf("%d sessions on %d threads agree with sequential runs\n",
              kThreads, kThreads);
  return 0;
}
