//===- CheckpointFuzzer.cpp - fuzz target: loading a checkpoint directory -===//
//
// Everything the runtime does with a model directory before it runs code:
// config.json, the safetensors headers, the shard index, the module spec
// derived from them (whole model and each layer's MLP block), and binding
// every weight operand (stacking per-expert tensors, converting unaligned
// ones). Any directory must give either a bound model or an error.
//
// One input is one directory, written out as files before each run: a
// sequence of entries "==> NAME <==\n" followed by the file's bytes, the
// format `head` prints several files in. Names are plain file names.
//
//===----------------------------------------------------------------------===//
#include "moec/Model/Checkpoint.h"
#include "moec/Model/Config.h"
#include "moec/Runtime/Model.h"
#include "moec/Runtime/ModuleSpec.h"
#include "moec/Runtime/Weights.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace moec;

namespace {

constexpr std::string_view kEntryStart = "==> ";
constexpr std::string_view kEntryEnd = " <==\n";
constexpr size_t kMaxFiles = 8;
/// Layers whose MLP-block spec is derived and bound (the rest repeat them).
constexpr int64_t kMaxLayers = 4;

bool isPlainFileName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.')
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}

/// The entries of `input`, or nothing if it is not in the format.
std::vector<std::pair<std::string, std::string_view>>
splitEntries(std::string_view input) {
  std::vector<std::pair<std::string, std::string_view>> entries;
  while (!input.empty()) {
    if (input.substr(0, kEntryStart.size()) != kEntryStart)
      return {};
    size_t nameEnd = input.find(kEntryEnd);
    if (nameEnd == std::string_view::npos)
      return {};
    std::string_view name =
        input.substr(kEntryStart.size(), nameEnd - kEntryStart.size());
    input.remove_prefix(nameEnd + kEntryEnd.size());
    size_t next = input.find(std::string("\n") + std::string(kEntryStart));
    std::string_view content = input.substr(0, next);
    input.remove_prefix(next == std::string_view::npos ? input.size()
                                                       : next + 1);
    if (!isPlainFileName(name) || entries.size() == kMaxFiles)
      return {};
    for (const auto &entry : entries)
      if (entry.first == name)
        return {};
    entries.emplace_back(std::string(name), content);
  }
  return entries;
}

/// A directory of this process's own, emptied before each input.
class ScratchDirectory {
public:
  ScratchDirectory() {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : nullptr;
    if (!base)
      base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    std::string pattern = std::string(base) + "/moec-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      std::perror("moec-checkpoint-fuzzer: mkdtemp");
      std::abort();
    }
    path = pattern;
  }
  ~ScratchDirectory() {
    clear();
    rmdir(path.c_str());
  }

  void clear() {
    for (const std::string &name : written)
      unlink((path + "/" + name).c_str());
    written.clear();
  }

  void write(const std::string &name, std::string_view bytes) {
    std::string file = path + "/" + name;
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::perror(file.c_str());
      std::abort();
    }
    written.push_back(name);
    while (!bytes.empty()) {
      ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n <= 0) {
        std::perror(file.c_str());
        std::abort();
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    close(fd);
  }

  std::string path;

private:
  std::vector<std::string> written;
};

/// Every error moec reports must say something. MOEC_FUZZ_VERBOSE=1 prints
/// each (to see how far an input gets).
void check(const Status &status) {
  static const bool verbose = std::getenv("MOEC_FUZZ_VERBOSE") != nullptr;
  if (status.ok())
    return;
  if (status.message().empty())
    std::abort();
  if (verbose)
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
}

void bindAll(const Checkpoint &checkpoint, const ModuleSpec &spec,
             const std::vector<const Binding *> &bindings) {
  for (const Binding *binding : bindings) {
    if (binding->function >= spec.functions.size())
      std::abort();
    StatusOr<std::vector<WeightBuffer>> weights =
        bindWeights(checkpoint, spec.functions[binding->function], *binding,
                    /*releaseSources=*/false);
    check(weights.status());
  }
}

void loadModel(const std::string &dir) {
  StatusOr<std::unique_ptr<LoadedModel>> model = LoadedModel::open(dir);
  check(model.status());
  StatusOr<ModelConfig> config = loadModelConfig(dir);
  check(config.status());
  if (!config.ok())
    return;
  StatusOr<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  check(checkpoint.status());
  if (!checkpoint.ok())
    return;
  // The whole model, as moe-run generate and logits bind it.
  if (model.ok()) {
    const ModuleSpec &spec = (*model)->spec();
    std::vector<const Binding *> bindings = {&spec.embed, &spec.head};
    for (const Binding &layer : spec.layers)
      bindings.push_back(&layer);
    bindAll(**checkpoint, spec, bindings);
  }
  // One layer's MLP block, as moe-run layer binds it.
  int64_t layers = std::min<int64_t>(config->num_hidden_layers, kMaxLayers);
  for (int64_t layer = 0; layer < layers; ++layer) {
    StatusOr<ModuleSpec> spec =
        deriveMLPModuleSpec(*config, **checkpoint, layer);
    check(spec.status());
    if (spec.ok())
      bindAll(**checkpoint, *spec, {&spec->mlp});
  }
  // Reading every tensor, as the runtime may.
  for (const std::string &name : (*checkpoint)->names()) {
    StatusOr<TensorView> view = (*checkpoint)->tensor(name);
    if (!view.ok())
      std::abort();
    std::vector<float> values(view->numElements());
    convertToFloat32(*view, values.data());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ScratchDirectory scratch;
  std::vector<std::pair<std::string, std::string_view>> entries =
      splitEntries({reinterpret_cast<const char *>(data), size});
  if (entries.empty())
    return 0;
  scratch.clear();
  for (const auto &[name, bytes] : entries)
    scratch.write(name, bytes);
  loadModel(scratch.path);
  if (std::getenv("MOEC_FUZZ_VERBOSE"))
    std::fprintf(stderr, "-- done\n");
  return 0;
}
