//===- CAPIModel.cpp - the C API of whole models and their sessions -------===//
#include "CAPISupport.h"

#include "moec/Runtime/CUDADriver.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Runtime/Model.h"

#include <cstddef>
#include <memory>

using namespace moec;
using capi::fail;
using capi::idsOf;
using capi::requireNonNull;

struct moec_runtime {
  moec_runtime_options_t options;
};

struct moec_compiled_model {
  std::unique_ptr<LoadedModel> model;
};

namespace {

/// Runs `ids` on `session` and copies the logits it produced to `out`
/// (unless NULL).
moec_status_t forward(moec_session_t *session, const int32_t *ids,
                      int64_t count, bool allLogits, float *out,
                      const char *function) {
  if (moec_status_t s = requireNonNull(session, function, "session"))
    return s;
  StatusOr<std::vector<int32_t>> input = idsOf(ids, count, function);
  if (!input.ok())
    return fail(input.status());
  std::vector<float> logits;
  if (Status s = session->session->forward(*input, allLogits, logits); !s.ok())
    return fail(s);
  if (out)
    std::copy(logits.begin(), logits.end(), out);
  return nullptr;
}

} // namespace

extern "C" {

void moec_runtime_options_init(moec_runtime_options_t *options) {
  if (!options)
    return;
  *options = moec_runtime_options_t{};
  options->size = sizeof(moec_runtime_options_t);
  options->threads = 0;
  options->target = MOEC_TARGET_CPU;
}

moec_status_t moec_runtime_create(const moec_runtime_options_t *options,
                                  moec_runtime_t **out) {
  if (moec_status_t s = requireNonNull(out, "moec_runtime_create", "out"))
    return s;
  moec_runtime_options_t resolved;
  moec_runtime_options_init(&resolved);
  if (options) {
    if (Status s = capi::checkOptionsSize(
            options->size, sizeof(moec_runtime_options_t),
            "moec_runtime_create", "moec_runtime_options_init");
        !s.ok())
      return fail(s);
    resolved.threads = options->threads;
    resolved.target = options->target;
  }
  if (resolved.threads < 0)
    return fail("moec_runtime_create: threads must be 0 (the OpenMP "
                "default) or more, got " +
                std::to_string(resolved.threads));
  if (resolved.target == MOEC_TARGET_CUDA) {
    StatusOr<const CUDADriver *> driver = CUDADriver::get();
    if (!driver.ok())
      return fail("moec_runtime_create: MOEC_TARGET_CUDA: " +
                  driver.status().message());
    if (StatusOr<CUDADeviceInfo> device = (*driver)->device(0); !device.ok())
      return fail("moec_runtime_create: MOEC_TARGET_CUDA: " +
                  device.status().message());
  }
  if (resolved.target != MOEC_TARGET_CPU)
    return fail("moec_runtime_create: unknown target " +
                std::to_string(static_cast<int>(resolved.target)));
  *out = new (std::nothrow) moec_runtime{resolved};
  return *out ? nullptr : fail("moec_runtime_create: out of memory");
}

void moec_runtime_release(moec_runtime_t *runtime) { delete runtime; }

moec_status_t moec_compiled_model_load(moec_runtime_t *runtime,
                                       const char *model_dir,
                                       const char *module_path,
                                       moec_compiled_model_t **out) {
  const char *fn = "moec_compiled_model_load";
  if (moec_status_t s = requireNonNull(runtime, fn, "runtime"))
    return s;
  if (moec_status_t s = requireNonNull(model_dir, fn, "model_dir"))
    return s;
  if (moec_status_t s = requireNonNull(module_path, fn, "module_path"))
    return s;
  if (moec_status_t s = requireNonNull(out, fn, "out"))
    return s;
  ModelOptions options;
  options.threads = runtime->options.threads;
  StatusOr<std::unique_ptr<LoadedModel>> model =
      LoadedModel::open(model_dir, options);
  if (!model.ok())
    return fail(model.status());
  StatusOr<std::unique_ptr<CompiledModule>> module =
      loadSharedLibraryModule(module_path);
  if (!module.ok())
    return fail(module.status());
  if (runtime->options.target == MOEC_TARGET_CUDA &&
      (*module)->gpuArch().empty())
    return fail(std::string(module_path) +
                " was compiled for the CPU, but the runtime's target is "
                "MOEC_TARGET_CUDA; compile the model with moe-compile model "
                "--target cuda");
  if (Status s = (*model)->load(std::move(*module)); !s.ok())
    return fail(s);
  *out = new (std::nothrow) moec_compiled_model{std::move(*model)};
  return *out ? nullptr : fail("moec_compiled_model_load: out of memory");
}

void moec_compiled_model_release(moec_compiled_model_t *model) { delete model; }

int64_t moec_compiled_model_vocab_size(const moec_compiled_model_t *model) {
  return model ? model->model->config().vocab_size : 0;
}

int64_t moec_compiled_model_hidden_size(const moec_compiled_model_t *model) {
  return model ? model->model->config().hidden_size : 0;
}

int64_t moec_compiled_model_num_layers(const moec_compiled_model_t *model) {
  return model ? model->model->config().num_hidden_layers : 0;
}

int64_t moec_compiled_model_max_positions(const moec_compiled_model_t *model) {
  return model ? model->model->config().max_position_embeddings : 0;
}

int64_t moec_compiled_model_bos_token_id(const moec_compiled_model_t *model) {
  return model ? model->model->config().bos_token_id : -1;
}

int64_t moec_compiled_model_eos_token_ids(const moec_compiled_model_t *model,
                                          int32_t *ids, int64_t capacity) {
  if (!model)
    return 0;
  const std::vector<int64_t> &eos = model->model->config().eos_token_id;
  const int64_t count = static_cast<int64_t>(eos.size());
  for (int64_t i = 0; ids && i < count && i < capacity; ++i)
    ids[i] = static_cast<int32_t>(eos[i]);
  return count;
}

moec_status_t moec_session_create(const moec_compiled_model_t *model,
                                  int64_t capacity, moec_session_t **out) {
  if (moec_status_t s = requireNonNull(model, "moec_session_create", "model"))
    return s;
  if (moec_status_t s = requireNonNull(out, "moec_session_create", "out"))
    return s;
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(*model->model, capacity);
  if (!session.ok())
    return fail(session.status());
  *out =
      new (std::nothrow) moec_session{std::move(*session), model->model.get()};
  return *out ? nullptr : fail("moec_session_create: out of memory");
}

void moec_session_release(moec_session_t *session) { delete session; }

int64_t moec_session_position(const moec_session_t *session) {
  return session ? session->session->position() : 0;
}

int64_t moec_session_capacity(const moec_session_t *session) {
  return session ? session->session->capacity() : 0;
}

int64_t moec_session_cache_bytes_per_token(const moec_session_t *session) {
  return session ? session->session->cacheBytesPerPosition() : 0;
}

void moec_session_reset(moec_session_t *session) {
  if (session)
    session->session->reset();
}

moec_status_t moec_session_prefill(moec_session_t *session, const int32_t *ids,
                                   int64_t count, float *logits) {
  return forward(session, ids, count, /*allLogits=*/false, logits,
                 "moec_session_prefill");
}

moec_status_t moec_session_decode(moec_session_t *session, int32_t id,
                                  float *logits) {
  return forward(session, &id, 1, /*allLogits=*/false, logits,
                 "moec_session_decode");
}

moec_status_t moec_session_logits(moec_session_t *session, const int32_t *ids,
                                  int64_t count, float *logits) {
  if (moec_status_t s = requireNonNull(logits, "moec_session_logits", "logits"))
    return s;
  return forward(session, ids, count, /*allLogits=*/true, logits,
                 "moec_session_logits");
}

} // extern "C"
