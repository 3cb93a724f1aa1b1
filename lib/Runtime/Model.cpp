//===- Model.cpp - a compiled DeepSeek model and its sessions -------------===//
#include "moec/Runtime/Model.h"

#include <algorithm>
#include <new>
#include <optional>

using namespace moec;

namespace {

/// Tokens per compiled call during a prefill: bounds the activations the
/// layers allocate while keeping the matrix products large.
constexpr int64_t kPrefillChunk = 512;

} // namespace

StatusOr<std::unique_ptr<LoadedModel>>
LoadedModel::open(const std::string &directory, const ModelOptions &options) {
  std::unique_ptr<LoadedModel> model(new LoadedModel());
  model->dir = directory;
  model->opts = options;
  StatusOr<ModelConfig> config = loadModelConfig(directory);
  if (!config.ok())
    return config.status();
  model->cfg = std::move(*config);
  if (Status s = checkAttentionSupport(model->cfg, directory + "/config.json");
      !s.ok())
    return s;
  StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::open(directory);
  if (!ckpt.ok())
    return ckpt.status();
  model->checkpoint = std::move(*ckpt);
  StatusOr<ModuleSpec> spec = deriveModelModuleSpec(
      model->cfg, *model->checkpoint, options.kvCache, options.layout);
  if (!spec.ok())
    return spec.status();
  model->moduleSpec = std::move(*spec);
  return model;
}

StatusOr<LoadedModel::Call> LoadedModel::bind(const Binding &binding) const {
  Call call;
  call.function = &moduleSpec.functions[binding.function];
  StatusOr<PackedFunction> entry = module->lookup(call.function->name);
  if (!entry.ok())
    return entry.status();
  call.entry = *entry;
  StatusOr<std::vector<WeightBuffer>> weights =
      bindWeights(*checkpoint, *call.function, binding,
                  /*releaseSources=*/true);
  if (!weights.ok())
    return weights.status();
  call.weights = std::move(*weights);
  return call;
}

Status LoadedModel::load(std::unique_ptr<CompiledModule> compiled,
                         const ProgressCallback &progress) {
  // A module compiled elsewhere may take its weights in another layout and
  // keep another KV cache type.
  StatusOr<WeightLayout> layout = weightLayoutOf(compiled->signature());
  if (!layout.ok())
    return layout.status();
  StatusOr<DType> kvCache = kvCacheTypeOf(compiled->signature());
  if (!kvCache.ok())
    return kvCache.status();
  if (layout->panel != moduleSpec.layout.panel || *kvCache != opts.kvCache) {
    StatusOr<ModuleSpec> spec =
        deriveModelModuleSpec(cfg, *checkpoint, *kvCache, *layout);
    if (!spec.ok())
      return spec.status();
    moduleSpec = std::move(*spec);
    opts.layout = *layout;
    opts.kvCache = *kvCache;
  }
  if (Status s = compiled->checkSignature(moduleSpec); !s.ok())
    return s;
  // Say why a GPU module cannot run before binding any weights.
  gpu = !compiled->gpuArch().empty();
  if (gpu) {
    if (Status s = useGPU(); !s.ok())
      return Status::error(compiled->describe() +
                           " runs on a CUDA GPU: " + s.message());
    if (Status s = checkGPUArch(compiled->gpuArch()); !s.ok())
      return Status::error(compiled->describe() + ": " + s.message());
  }
  module = std::move(compiled);
  const int64_t total = static_cast<int64_t>(moduleSpec.layers.size()) + 2;
  int64_t done = 0;
  auto step = [&](const Binding &binding, Call &out) -> Status {
    StatusOr<Call> call = bind(binding);
    if (!call.ok())
      return call.status();
    out = std::move(*call);
    if (gpu)
      if (Status s = upload(out); !s.ok())
        return s;
    if (progress)
      progress(++done, total);
    return Status();
  };
  if (Status s = step(moduleSpec.embed, embed); !s.ok())
    return s;
  layers.resize(moduleSpec.layers.size());
  for (size_t l = 0; l < layers.size(); ++l)
    if (Status s = step(moduleSpec.layers[l], layers[l]); !s.ok())
      return s;
  if (Status s = step(moduleSpec.head, head); !s.ok())
    return s;
  loaded = true;
  return Status();
}

size_t LoadedModel::ownedWeightBytes() const {
  size_t bytes = 0;
  auto add = [&](const Call &call) {
    for (const WeightBuffer &w : call.weights)
      bytes += w.ownedBytes();
  };
  add(embed);
  add(head);
  for (const Call &call : layers)
    add(call);
  return bytes;
}

Status LoadedModel::upload(Call &call) const {
  std::vector<const OperandSpec *> specs = call.function->weights();
  for (size_t i = 0; i < call.weights.size(); ++i) {
    const WeightBuffer &w = call.weights[i];
    size_t bytes = dtypeSize(w.dtype);
    for (int64_t d : w.shape)
      bytes *= static_cast<size_t>(d);
    StatusOr<DeviceBuffer> buffer =
        DeviceBuffer::create(bytes, w.data(), specs[i]->name.c_str());
    if (!buffer.ok())
      return buffer.status();
    call.deviceWeights.push_back(std::move(*buffer));
    // The kernels read the device copy: a stacked host copy is freed, and
    // only the shape is kept.
    call.weights[i] = WeightBuffer::viewOf(nullptr, w.dtype, w.shape);
  }
  return Status();
}

Status LoadedModel::run(const Call &call, std::vector<Argument> args) const {
  for (size_t i = 0; i < call.weights.size(); ++i) {
    const WeightBuffer &w = call.weights[i];
    const void *data = gpu ? call.deviceWeights[i].data() : w.data();
    args.push_back(Argument::buffer(data, w.shape));
  }
  if (opts.threads > 0 && !gpu)
    module->setThreads(opts.threads);
  if (Status s = invoke(call.entry, *call.function, args); !s.ok())
    return s;
  return gpu ? takeGPUError() : Status();
}

StatusOr<std::unique_ptr<Session>> Session::create(const LoadedModel &model,
                                                   int64_t capacity) {
  if (!model.loaded)
    return Status::error("internal error: a session needs a loaded model");
  const ModelConfig &c = model.config();
  if (capacity < 1 || capacity > c.max_position_embeddings)
    return Status::error(
        "a sequence of " + std::to_string(capacity) +
        " tokens does not fit the model's context: max_position_embeddings "
        "is " +
        std::to_string(c.max_position_embeddings));
  std::unique_ptr<Session> session(new Session(model));
  session->cap = capacity;
  // Each layer's cache operands, with the dynamic dimension (positions) at
  // the capacity.
  const ModuleSpec &spec = model.spec();
  size_t total = 0;
  for (const Binding &layer : spec.layers) {
    const FunctionSpec &fn = spec.functions[layer.function];
    std::vector<CacheBuffer> buffers;
    for (size_t i : fn.caches()) {
      const OperandSpec &op = fn.operands[i];
      CacheBuffer buffer;
      buffer.shape = op.shape;
      size_t bytes = dtypeSize(op.dtype), perPosition = bytes;
      for (int64_t &d : buffer.shape) {
        if (d == kDynamicSize)
          d = capacity;
        else
          perPosition *= static_cast<size_t>(d);
        if (__builtin_mul_overflow(bytes, static_cast<size_t>(d), &bytes) ||
            __builtin_add_overflow(total, bytes, &total))
          return Status::error("a KV cache of " + std::to_string(capacity) +
                               " tokens would not fit in memory");
      }
      if (model.onGPU()) {
        StatusOr<DeviceBuffer> device =
            DeviceBuffer::create(bytes, nullptr, "the KV cache");
        if (!device.ok())
          return device.status();
        buffer.device = std::move(*device);
      } else {
        buffer.data.reset(new (std::nothrow) uint8_t[bytes]);
      }
      if (!buffer.address())
        return Status::error("cannot allocate the KV cache of " +
                             std::to_string(capacity) + " tokens (" +
                             std::to_string(total) + " bytes for " +
                             std::to_string(c.num_hidden_layers) + " layers)");
      session->bytesPerPosition += static_cast<int64_t>(perPosition);
      buffers.push_back(std::move(buffer));
    }
    session->caches.push_back(std::move(buffers));
  }
  const size_t hidden =
      static_cast<size_t>(std::min(capacity, kPrefillChunk) * c.hidden_size);
  if (model.onGPU()) {
    StatusOr<DeviceBuffer> device = DeviceBuffer::create(
        hidden * sizeof(float), nullptr, "the hidden states");
    if (!device.ok())
      return device.status();
    session->deviceHidden = std::move(*device);
  } else {
    session->hidden.resize(hidden);
  }
  return session;
}

Status Session::forward(const std::vector<int32_t> &ids, bool allLogits,
                        std::vector<float> &logits) {
  const ModelConfig &c = model.config();
  const int64_t n = static_cast<int64_t>(ids.size());
  const int64_t h = c.hidden_size, v = c.vocab_size;
  if (n == 0)
    return Status::error("no tokens to run");
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= v)
      return Status::error("token id " + std::to_string(ids[i]) +
                           " (position " + std::to_string(pos + i) +
                           ") is out of range: vocab_size is " +
                           std::to_string(v));
  if (pos + n > cap)
    return Status::error("positions " + std::to_string(pos) + ".." +
                         std::to_string(pos + n - 1) +
                         " exceed the session's capacity of " +
                         std::to_string(cap) + " tokens");
  logits.assign(static_cast<size_t>((allLogits ? n : 1) * v), 0.0f);

  for (int64_t first = 0; first < n; first += kPrefillChunk) {
    const int64_t m = std::min(kPrefillChunk, n - first);
    const int32_t *chunk = ids.data() + first;
    // A GPU model reads its ids and keeps its hidden states in device
    // memory.
    const void *chunkIds = chunk;
    float *states = hidden.data();
    if (model.onGPU()) {
      const size_t bytes = static_cast<size_t>(m) * sizeof(int32_t);
      if (Status s = deviceIds.reserve(bytes, "the token ids"); !s.ok())
        return s;
      if (Status s = deviceIds.upload(chunk, bytes); !s.ok())
        return s;
      chunkIds = deviceIds.data();
      states = static_cast<float *>(deviceHidden.data());
    }
    // The chunk's kernels, from the embedding to the head, queued at once:
    // the GPU waits for no host between layers.
    std::optional<GPUQueue> queue;
    if (model.onGPU())
      queue.emplace();
    if (Status s = model.run(model.embed, {Argument::buffer(chunkIds, {m}),
                                           Argument::buffer(states, {m, h})});
        !s.ok())
      return s;
    for (size_t l = 0; l < model.layers.size(); ++l) {
      std::vector<Argument> args{Argument::buffer(states, {m, h}),
                                 Argument::indexValue(pos + first)};
      for (const CacheBuffer &cache : caches[l])
        args.push_back(Argument::buffer(cache.address(), cache.shape));
      if (Status s = model.run(model.layers[l], std::move(args)); !s.ok())
        return s;
    }
    // Only the rows whose logits are wanted go through the head: every
    // chunk's with allLogits, else the last row of the last chunk.
    if (!allLogits && first + m < n) {
      if (queue)
        if (Status s = queue->finish(); !s.ok())
          return s;
      continue;
    }
    const int64_t rows = allLogits ? m : 1;
    const float *headInput = states + (m - rows) * h;
    float *out = logits.data() + (allLogits ? first * v : 0);
    // One row (a decode step's) goes to the session's buffer; more, to one
    // made for this call, as a prompt's rows would hold much memory.
    const size_t logitBytes = static_cast<size_t>(rows * v) * sizeof(float);
    DeviceBuffer promptLogits;
    DeviceBuffer &deviceOut = rows == 1 ? deviceLogits : promptLogits;
    if (model.onGPU())
      if (Status s = deviceOut.reserve(logitBytes, "the logits"); !s.ok())
        return s;
    void *headOutput = model.onGPU() ? deviceOut.data() : out;
    if (Status s =
            model.run(model.head, {Argument::buffer(headInput, {rows, h}),
                                   Argument::buffer(headOutput, {rows, v})});
        !s.ok())
      return s;
    if (queue)
      if (Status s = queue->finish(); !s.ok())
        return s;
    if (model.onGPU())
      if (Status s = deviceOut.download(out, logitBytes); !s.ok())
        return s;
  }
  pos += n;
  return Status();
}
