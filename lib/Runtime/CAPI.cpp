//===- CAPI.cpp - the moec runtime C API: statuses and MLP blocks ---------===//
#include "CAPISupport.h"

#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Runtime/CompiledModule.h"
#include "moec/Runtime/GPURuntime.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Runtime/Weights.h"

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

using namespace moec;

/// One layer's MLP block: its module spec and bound weights (and their
/// copies in GPU memory, made on the first run of a GPU module).
struct LayerMLP {
  ModuleSpec spec;
  std::vector<WeightBuffer> weights;
  std::vector<DeviceBuffer> deviceWeights;
};

struct moec_model {
  ModelConfig config;
  std::unique_ptr<Checkpoint> checkpoint;
  std::mutex mutex;
  /// Bound MLP blocks by (layer, weight panel of the module's layout).
  std::map<std::pair<int64_t, int64_t>, std::unique_ptr<LayerMLP>> layers;
};

struct moec_module {
  std::unique_ptr<CompiledModule> module;
};

using capi::fail;

namespace {

/// Runs `run` `repeats` times and returns the mean seconds of a run.
template <typename Run> StatusOr<double> timeRuns(int64_t repeats, Run run) {
  auto start = std::chrono::steady_clock::now();
  for (int64_t r = 0; r < repeats; ++r)
    if (Status s = run(); !s.ok())
      return s;
  std::chrono::duration<double> spent =
      std::chrono::steady_clock::now() - start;
  return repeats > 0 ? spent.count() / static_cast<double>(repeats) : 0.0;
}

/// Runs MLP block `mlp` from a GPU module: its weights go to device memory
/// once, x for each call, then the block runs 1 + `repeats` times (the
/// mean seconds of the repeats to `seconds`), and y comes back.
Status runMLPOnGPU(const CompiledModule &module, PackedFunction entry,
                   LayerMLP &mlp, const float *x, int64_t tokens, float *y,
                   int64_t repeats, double *seconds) {
  if (Status s = useGPU(); !s.ok())
    return Status::error(module.describe() +
                         " runs on a CUDA GPU: " + s.message());
  if (Status s = checkGPUArch(module.gpuArch()); !s.ok())
    return Status::error(module.describe() + ": " + s.message());
  if (mlp.deviceWeights.empty()) {
    const FunctionSpec &function = mlp.spec.functions[0];
    size_t w = 0;
    for (const WeightBuffer &weight : mlp.weights) {
      size_t bytes = dtypeSize(weight.dtype);
      for (int64_t d : weight.shape)
        bytes *= static_cast<size_t>(d);
      // Weight operands follow x and y.
      const std::string &name = function.operands[2 + w++].name;
      StatusOr<DeviceBuffer> buffer =
          DeviceBuffer::create(bytes, weight.data(), name.c_str());
      if (!buffer.ok()) {
        mlp.deviceWeights.clear();
        return buffer.status();
      }
      mlp.deviceWeights.push_back(std::move(*buffer));
    }
  }
  // x and y on the device, kept by the thread from call to call (grown
  // when a call needs more): a cuMemAlloc and a cuMemFree (which waits for
  // the device) per call would cost more than a decode step's kernels.
  thread_local DeviceBuffer dx, dy;
  const int64_t hidden = mlp.spec.config.hidden_size;
  const size_t bytes = static_cast<size_t>(tokens * hidden) * sizeof(float);
  if (Status s = dx.reserve(bytes, "x"); !s.ok())
    return s;
  if (Status s = dy.reserve(bytes, "y"); !s.ok())
    return s;
  if (Status s = dx.upload(x, bytes); !s.ok())
    return s;
  std::vector<Argument> args{Argument::buffer(dx.data(), {tokens, hidden}),
                             Argument::buffer(dy.data(), {tokens, hidden})};
  for (size_t i = 0; i < mlp.weights.size(); ++i)
    args.push_back(
        Argument::buffer(mlp.deviceWeights[i].data(), mlp.weights[i].shape));
  auto run = [&]() -> Status {
    if (Status s = invoke(entry, mlp.spec.functions[0], args); !s.ok())
      return s;
    return takeGPUError();
  };
  if (Status s = run(); !s.ok())
    return s;
  StatusOr<double> mean = timeRuns(repeats, run);
  if (!mean.ok())
    return mean.status();
  *seconds = *mean;
  return dy.download(y, bytes);
}

/// Runs MLP block `layer` of `model` with `module` 1 + `repeats` times, as
/// moec_module_time_mlp documents; `api` names the entry point in errors.
moec_status_t runMLP(const char *api, moec_module_t *module,
                     moec_model_t *model, int64_t layer, const float *x,
                     int64_t tokens, float *y, int64_t repeats,
                     double *seconds) {
  if (!module || !model || !x || !y || !seconds)
    return fail(std::string(api) + ": module, model, x and y must not be NULL");
  const ModelConfig &c = model->config;
  if (layer < 0 || layer >= c.num_hidden_layers)
    return fail("layer " + std::to_string(layer) +
                " is out of range: the model has " +
                std::to_string(c.num_hidden_layers) + " layers");
  if (tokens < 1)
    return fail("tokens must be at least 1, got " + std::to_string(tokens));

  StatusOr<WeightLayout> layout = weightLayoutOf(module->module->signature());
  if (!layout.ok())
    return fail(layout.status().message());
  LayerMLP *mlp;
  {
    std::lock_guard<std::mutex> lock(model->mutex);
    std::unique_ptr<LayerMLP> &slot = model->layers[{layer, layout->panel}];
    if (!slot) {
      StatusOr<ModuleSpec> spec =
          deriveMLPModuleSpec(c, *model->checkpoint, layer, *layout);
      if (!spec.ok())
        return fail(spec.status().message());
      StatusOr<std::vector<WeightBuffer>> weights =
          bindWeights(*model->checkpoint, spec->functions[0], spec->mlp,
                      /*releaseSources=*/false);
      if (!weights.ok())
        return fail(weights.status().message());
      slot = std::make_unique<LayerMLP>(
          LayerMLP{std::move(*spec), std::move(*weights)});
    }
    mlp = slot.get();
  }
  if (Status s = module->module->checkSignature(mlp->spec); !s.ok())
    return fail(s.message());
  const FunctionSpec &function = mlp->spec.functions[0];
  StatusOr<PackedFunction> entry = module->module->lookup(function.name);
  if (!entry.ok())
    return fail(entry.status().message());
  if (!module->module->gpuArch().empty()) {
    std::lock_guard<std::mutex> lock(model->mutex);
    if (Status s = runMLPOnGPU(*module->module, *entry, *mlp, x, tokens, y,
                               repeats, seconds);
        !s.ok())
      return fail(s.message());
    return nullptr;
  }
  std::vector<Argument> args{Argument::buffer(x, {tokens, c.hidden_size}),
                             Argument::buffer(y, {tokens, c.hidden_size})};
  for (const WeightBuffer &w : mlp->weights)
    args.push_back(Argument::buffer(w.data(), w.shape));
  auto run = [&] { return invoke(*entry, function, args); };
  if (Status s = run(); !s.ok())
    return fail(s.message());
  StatusOr<double> mean = timeRuns(repeats, run);
  if (!mean.ok())
    return fail(mean.status().message());
  *seconds = *mean;
  return nullptr;
}

} // namespace

moec_status capi::outOfMemory{"out of memory"};

extern "C" {

int moec_runtime_api_version(void) { return MOEC_RUNTIME_API_VERSION; }

const char *moec_status_message(moec_status_t status) {
  return status ? status->message.c_str() : "ok";
}

void moec_status_free(moec_status_t status) {
  if (status != &capi::outOfMemory)
    delete status;
}

moec_status_t moec_model_open(const char *directory, moec_model_t **out) {
  if (!directory || !out)
    return fail("moec_model_open: directory and out must not be NULL");
  StatusOr<ModelConfig> config = loadModelConfig(directory);
  if (!config.ok())
    return fail(config.status().message());
  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(directory);
  if (!ckpt.ok())
    return fail(ckpt.status().message());
  auto *model = new (std::nothrow) moec_model();
  if (!model)
    return fail("moec_model_open: out of memory");
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
  StatusOr<std::unique_ptr<CompiledModule>> module =
      loadSharedLibraryModule(path);
  if (!module.ok())
    return fail(module.status().message());
  *out = new (std::nothrow) moec_module{std::move(*module)};
  return *out ? nullptr : fail("moec_module_load: out of memory");
}

void moec_module_release(moec_module_t *module) { delete module; }

moec_status_t moec_module_run_mlp(moec_module_t *module, moec_model_t *model,
                                  int64_t layer, const float *x, int64_t tokens,
                                  float *y) {
  double unused = 0;
  return runMLP("moec_module_run_mlp", module, model, layer, x, tokens, y,
                /*repeats=*/0, &unused);
}

moec_status_t moec_module_time_mlp(moec_module_t *module, moec_model_t *model,
                                   int64_t layer, const float *x,
                                   int64_t tokens, float *y, int64_t repeats,
                                   double *seconds_per_run) {
  if (repeats < 1)
    return fail("moec_module_time_mlp: repeats must be at least 1, got " +
                std::to_string(repeats));
  return runMLP("moec_module_time_mlp", module, model, layer, x, tokens, y,
                repeats, seconds_per_run);
}

} // extern "C"
