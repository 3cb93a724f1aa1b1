//===- CAPIGenerate.cpp - the C API of token generation -------------------===//
//
// moec_generator is moec::Generator (Generate.h); moec_generate drives it
// to the end.
//
//===----------------------------------------------------------------------===//
#include "CAPISupport.h"

#include "moec/Runtime/Generate.h"

#include <algorithm>
#include <cmath>

using namespace moec;
using capi::fail;
using capi::requireNonNull;

struct moec_generator {
  Generator generator;
};

namespace {

/// The generation options of a C caller, checked; stop ids default to the
/// model's eos_token_id.
StatusOr<GenerateOptions> optionsOf(const moec_generate_options_t *options,
                                    const ModelConfig &config,
                                    const char *function) {
  moec_generate_options_t o;
  moec_generate_options_init(&o);
  auto error = [&](const std::string &message) {
    return Status::error(std::string(function) + ": " + message);
  };
  if (options) {
    if (Status s = capi::checkOptionsSize(
            options->size, sizeof(moec_generate_options_t), function,
            "moec_generate_options_init");
        !s.ok())
      return s;
    o = *options;
  }
  if (o.max_new_tokens < 0)
    return error("max_new_tokens must not be negative, got " +
                 std::to_string(o.max_new_tokens));
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature))
    return error("temperature must be finite and at least 0");
  if (!(o.top_p > 0 && o.top_p <= 1))
    return error("top_p must be in (0, 1]");
  if (o.num_stop_ids < 0 || (o.num_stop_ids > 0 && !o.stop_ids) ||
      o.num_stop_ids > (int64_t(1) << 24))
    return error("stop_ids must hold num_stop_ids ids");
  GenerateOptions g;
  g.maxNewTokens = o.max_new_tokens;
  g.sampling = {o.temperature, o.top_p, o.seed};
  if (o.stop_ids)
    g.stopIds.assign(o.stop_ids, o.stop_ids + o.num_stop_ids);
  else
    g.stopIds = config.eos_token_id;
  return g;
}

} // namespace

extern "C" {

void moec_generate_options_init(moec_generate_options_t *options) {
  if (!options)
    return;
  *options = moec_generate_options_t{};
  options->size = sizeof(moec_generate_options_t);
  options->max_new_tokens = 16;
  options->temperature = 0.0;
  options->top_p = 1.0;
}

moec_status_t moec_generator_create(moec_session_t *session,
                                    const int32_t *prompt, int64_t prompt_count,
                                    const moec_generate_options_t *options,
                                    moec_generator_t **out) {
  const char *fn = "moec_generator_create";
  if (moec_status_t s = requireNonNull(session, fn, "session"))
    return s;
  if (moec_status_t s = requireNonNull(out, fn, "out"))
    return s;
  StatusOr<GenerateOptions> g =
      optionsOf(options, session->model->config(), fn);
  if (!g.ok())
    return fail(g.status());
  StatusOr<std::vector<int32_t>> input = capi::idsOf(prompt, prompt_count, fn);
  if (!input.ok())
    return fail(input.status());
  *out = new (std::nothrow) moec_generator{
      Generator(*session->session, std::move(*input), std::move(*g))};
  return *out ? nullptr : fail("moec_generator_create: out of memory");
}

moec_status_t moec_generator_next(moec_generator_t *generator, int32_t *token,
                                  float *logits, int *done) {
  const char *fn = "moec_generator_next";
  if (moec_status_t s = requireNonNull(generator, fn, "generator"))
    return s;
  if (moec_status_t s = requireNonNull(token, fn, "token"))
    return s;
  if (moec_status_t s = requireNonNull(done, fn, "done"))
    return s;
  *done = 1;
  StatusOr<std::optional<int32_t>> next = generator->generator.next();
  if (!next.ok())
    return fail(next.status());
  if (!*next)
    return nullptr;
  *token = **next;
  if (logits) {
    const std::vector<float> &chosenFrom = generator->generator.logits();
    std::copy(chosenFrom.begin(), chosenFrom.end(), logits);
  }
  *done = 0;
  return nullptr;
}

void moec_generator_release(moec_generator_t *generator) { delete generator; }

moec_status_t moec_generate(moec_session_t *session, const int32_t *prompt,
                            int64_t prompt_count,
                            const moec_generate_options_t *options,
                            moec_token_callback_t on_token, void *user_data,
                            int32_t *tokens, int64_t *count) {
  if (count)
    *count = 0;
  moec_generator_t *generator = nullptr;
  if (moec_status_t s = moec_generator_create(session, prompt, prompt_count,
                                              options, &generator))
    return s;
  std::unique_ptr<moec_generator> owned(generator);
  for (int64_t produced = 0;; ++produced) {
    StatusOr<std::optional<int32_t>> token = owned->generator.next();
    if (!token.ok())
      return fail(token.status());
    if (!*token)
      return nullptr;
    if (tokens)
      tokens[produced] = **token;
    if (count)
      *count = produced + 1;
    const std::vector<float> &logits = owned->generator.logits();
    if (on_token && on_token(**token, logits.data(),
                             static_cast<int64_t>(logits.size()), user_data))
      return nullptr;
  }
}

} // extern "C"
