//===- CAPI.cpp - the moec runtime C API ----------------------------------===//
#include "moec/runtime.h"

#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Runtime/CompiledMLP.h"
#include "moec/Runtime/MLPWeights.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

using namespace moec;

struct moec_status {
  std::string message;
};

struct moec_model {
  ModelConfig config;
  std::unique_ptr<Checkpoint> checkpoint;
  std::mutex mutex;
  std::map<int64_t, std::unique_ptr<MLPWeights>> layers;
};

struct moec_module {
  std::unique_ptr<CompiledMLP> mlp;
};

namespace {

moec_status_t fail(std::string message) {
  return new moec_status{std::move(message)};
}

} // namespace

extern "C" {

int moec_runtime_api_version(void) { return MOEC_RUNTIME_API_VERSION; }

const char *moec_status_message(moec_status_t status) {
  return status ? status->message.c_str() : "ok";
}

void moec_status_free(moec_status_t status) { delete status; }

moec_status_t moec_model_open(const char *directory, moec_model_t **out) {
  if (!directory || !out)
    return fail("moec_model_open: directory and out must not be NULL");
  StatusOr<ModelConfig> config = loadModelConfig(directory);
  if (!config.ok())
    return fail(config.status().message());
  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(directory);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  auto *model = new moec_model();
  model->config = std::move(*config);
  model->checkpoint = std::move(*ckpt);
  *out = model;
  return nullptr;
}

void moec_model_release(moec_model_t *model) { delete model; }

int64_t moec_model_hidden_size(const moec_model_t *model) {
  return model ? model->config.hidden_size : 0;
}

int64_t moec_model_num_layers(const moec_model_t *model) {
  return model ? model->config.num_hidden_layers : 0;
}

moec_status_t moec_module_load(const char *path, moec_module_t **out) {
  if (!path || !out)
    return fail("moec_module_load: path and out must not be NULL");
  StatusOr<std::unique_ptr<CompiledMLP>> mlp = CompiledMLP::load(path);
  if (!mlp.ok())
    return fail(mlp.status().message());
  *out = new moec_module{std::move(*mlp)};
  return nullptr;
}

void moec_module_release(moec_module_t *module) { delete module; }

moec_status_t moec_module_run_mlp(moec_module_t *module, moec_model_t *model,
                                  int64_t layer, const float *x, int64_t tokens,
                                  float *y) {
  if (!module || !model || !x || !y)
    return fail("moec_module_run_mlp: module, model, x and y must not be "
                "NULL");
  const ModelConfig &c = model->config;
  if (layer < 0 || layer >= c.num_hidden_layers)
    return fail("layer " + std::to_string(layer) +
                " is out of range: the model has " +
                std::to_string(c.num_hidden_layers) + " layers");
  if (tokens < 1)
    return fail("tokens must be at least 1, got " + std::to_string(tokens));

  MLPWeights *weights;
  {
    std::lock_guard<std::mutex> lock(model->mutex);
    std::unique_ptr<MLPWeights> &slot = model->layers[layer];
    if (!slot) {
      StatusOr<MLPWeights> loaded =
          loadMLPWeights(*model->checkpoint, c, layer);
      if (!loaded.ok())
        return fail(loaded.status().message());
      slot = std::make_unique<MLPWeights>(std::move(*loaded));
    }
    weights = slot.get();
  }
  std::string expected = mlpSignature(c, layer, *weights);
  if (expected != module->mlp->signature())
    return fail("module " + module->mlp->path() +
                " was compiled for another MLP:\n  module: " +
                module->mlp->signature() + "\n  layer " +
                std::to_string(layer) + ": " + expected);

  std::vector<BufferArg> args{{x, {tokens, c.hidden_size}}};
  for (const WeightOperand &w : weights->operands)
    args.push_back({w.data, w.shape});
  std::vector<int64_t> shape;
  std::vector<float> out;
  Status run = module->mlp->run(args, shape, out);
  if (!run.ok())
    return fail(run.message());
  std::memcpy(y, out.data(), out.size() * sizeof(float));
  return nullptr;
}

} // extern "C"
