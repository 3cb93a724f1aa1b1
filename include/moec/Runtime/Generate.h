//===- Generate.h - token generation on a session --------------*- C++ -*-===//
#ifndef MOEC_RUNTIME_GENERATE_H
#define MOEC_RUNTIME_GENERATE_H

#include "moec/Runtime/Model.h"
#include "moec/Support/Status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

namespace moec {

/// How the next token is chosen from the logits.
struct SamplingOptions {
  /// 0: greedy (the highest logit; the lowest id among equal ones).
  /// Otherwise sample from softmax(logits / temperature).
  double temperature = 0.0;
  /// Nucleus sampling: only the most likely tokens whose probabilities sum
  /// to at least top_p are kept (1: all).
  double topP = 1.0;
  /// Seeds the sampler; the same seed gives the same tokens.
  uint64_t seed = 0;
};

/// Picks tokens from logits, deterministically for a given seed (the
/// generator is std::mt19937_64, whose output the C++ standard fixes).
class Sampler {
public:
  explicit Sampler(const SamplingOptions &options);
  /// The next token from `logits` [vocab]; an error if the logits are not
  /// finite.
  StatusOr<int32_t> next(const float *logits, int64_t vocab);

private:
  SamplingOptions options;
  std::mt19937_64 rng;
};

struct GenerateOptions {
  int64_t maxNewTokens = 16;
  SamplingOptions sampling;
  /// Generation stops after producing one of these (included in the
  /// output).
  std::vector<int64_t> stopIds;
};

/// Generation one token per call: the prompt first, then each previous
/// token, one step against the session's KV cache, and a token from a
/// Sampler. Uses `session` (which must outlive it) exclusively while it
/// generates.
class Generator {
public:
  Generator(Session &session, std::vector<int32_t> prompt,
            GenerateOptions options);
  /// The next token, or nullopt once maxNewTokens were produced or the
  /// previous token was a stop id. After an error, generation is over.
  StatusOr<std::optional<int32_t>> next();
  /// The logits [vocab] the last token was chosen from.
  const std::vector<float> &logits() const { return lastLogits; }

private:
  Session &session;
  GenerateOptions options;
  Sampler sampler;
  /// What the next step runs: the prompt, then the previous token.
  std::vector<int32_t> input;
  std::vector<float> lastLogits;
  int64_t produced = 0;
  bool over = false;
};

/// Called with each new token and the logits it was chosen from; returns
/// false to end generation after the token.
using TokenCallback =
    std::function<bool(int32_t token, const std::vector<float> &logits)>;

/// Runs a Generator to its end or until the callback says stop. The last new
/// token is not run. The new tokens are appended to `generated`.
Status generate(Session &session, const std::vector<int32_t> &prompt,
                const GenerateOptions &options, std::vector<int32_t> &generated,
                const TokenCallback &onToken = {});

} // namespace moec

#endif // MOEC_RUNTIME_GENERATE_H
