//===- Generate.cpp - token generation on a session -----------------------===//
#include "moec/Runtime/Generate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace moec;

Sampler::Sampler(const SamplingOptions &options)
    : options(options), rng(options.seed) {}

StatusOr<int32_t> Sampler::next(const float *logits, int64_t vocab) {
  for (int64_t i = 0; i < vocab; ++i)
    if (!std::isfinite(logits[i]))
      return Status::error("the model produced a non-finite logit (" +
                           std::to_string(logits[i]) + " for token " +
                           std::to_string(i) + ")");
  if (options.temperature <= 0)
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) -
                                logits);

  // softmax(logits / T) in double, shifted by the maximum.
  double max = *std::max_element(logits, logits + vocab);
  std::vector<double> probs(vocab);
  for (int64_t i = 0; i < vocab; ++i)
    probs[i] = std::exp((logits[i] - max) / options.temperature);
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return probs[a] > probs[b]; });
  double total = std::accumulate(probs.begin(), probs.end(), 0.0);
  // The nucleus: the shortest prefix of the ranking with mass >= top_p.
  size_t kept = 0;
  double mass = 0;
  while (kept < order.size() && (kept == 0 || mass < options.topP * total))
    mass += probs[order[kept++]];
  // A uniform double in [0, 1) from the generator's 53 high bits.
  double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * mass;
  for (size_t i = 0; i < kept; ++i) {
    u -= probs[order[i]];
    if (u < 0)
      return order[i];
  }
  return order[kept - 1];
}

Generator::Generator(Session &session, std::vector<int32_t> prompt,
                     GenerateOptions options)
    : session(session), options(std::move(options)),
      sampler(this->options.sampling), input(std::move(prompt)) {}

StatusOr<std::optional<int32_t>> Generator::next() {
  if (over || produced >= options.maxNewTokens)
    return std::optional<int32_t>();
  // Whatever fails below ends generation (the session may have advanced).
  over = true;
  if (Status s = session.forward(input, /*allLogits=*/false, lastLogits);
      !s.ok())
    return s;
  StatusOr<int32_t> token =
      sampler.next(lastLogits.data(), static_cast<int64_t>(lastLogits.size()));
  if (!token.ok())
    return Status::error("step " + std::to_string(produced) + ": " +
                         token.status().message());
  const std::vector<int64_t> &stops = options.stopIds;
  over = std::find(stops.begin(), stops.end(), *token) != stops.end();
  input = {*token};
  ++produced;
  return std::optional<int32_t>(*token);
}

Status moec::generate(Session &session, const std::vector<int32_t> &prompt,
                      const GenerateOptions &options,
                      std::vector<int32_t> &generated,
                      const TokenCallback &onToken) {
  Generator generator(session, prompt, options);
  while (true) {
    StatusOr<std::optional<int32_t>> token = generator.next();
    if (!token.ok())
      return token.status();
    if (!*token)
      return Status();
    generated.push_back(**token);
    if (onToken && !onToken(**token, generator.logits()))
      return Status();
  }
}
