//===- CompiledModule.cpp - calling compiled moec functions ---------------===//
#include "moec/Runtime/CompiledModule.h"

#include "moec/Runtime/GPURuntime.h"

#include "moec/Runtime/CPUFeatures.h"
#include "moec/Runtime/MemRefABI.h"
#include "moec/Runtime/ModuleFile.h"
#include "moec/Support/FileIO.h"
#include "moec/Support/Json.h"

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <string_view>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace moec;

CompiledModule::~CompiledModule() = default;

extern "C" void *mgpuStreamCreate();

namespace {

/// Compiled GPU modules call the mgpu* functions of the object that holds
/// this runtime. A host that loaded it with RTLD_LOCAL (as Python loads an
/// extension and its libraries) keeps those out of the global scope, where
/// a module's undefined symbols are looked up: promote the object once.
void exposeGPURuntime() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&mgpuStreamCreate), &info) &&
        info.dli_fname)
      (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
  });
}

} // namespace

namespace {
using SetNumThreads = void (*)(int);

void setThreadsWith(void *setter, int threads) {
  if (setter && threads > 0)
    reinterpret_cast<SetNumThreads>(setter)(threads);
}
} // namespace

// The JIT's code calls the OpenMP runtime the process has loaded.
void CompiledModule::setThreads(int threads) const {
  static void *setter = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  setThreadsWith(setter, threads);
}

namespace {

/// Where the signatures `have` (the module's) and `want` differ first, as
/// "PATH: X in the module, Y needed", or "" where they are equal. Entries of
/// arrays are named by their "name" member where they have one.
std::string firstDifference(const JsonValue &have, const JsonValue &want,
                            const std::string &path) {
  auto differ = [&](const std::string &haveText, const std::string &wantText) {
    return (path.empty() ? std::string("the signature") : path) + ": " +
           haveText + " in the module, " + wantText + " needed";
  };
  if (have.kind() != want.kind())
    return differ(have.summary(), want.summary());
  auto child = [&](const std::string &label) {
    return path.empty() ? label : path + "." + label;
  };
  switch (want.kind()) {
  case JsonValue::Kind::Array: {
    const JsonValue::Array &a = have.getArray(), &b = want.getArray();
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      const JsonValue *name = b[i].find("name");
      std::string label = name && name->isString()
                              ? name->getString()
                              : "[" + std::to_string(i) + "]";
      if (std::string d = firstDifference(a[i], b[i], child(label)); !d.empty())
        return d;
    }
    if (a.size() != b.size())
      return differ(std::to_string(a.size()) + " entries",
                    std::to_string(b.size()));
    return "";
  }
  case JsonValue::Kind::Object: {
    const JsonValue::Object &a = have.getObject(), &b = want.getObject();
    // Scalars first: a different hidden_size explains more than the first
    // operand shape it changes.
    for (bool containers : {false, true})
      for (const auto &[key, value] : b) {
        if (containers != (value.isArray() || value.isObject()))
          continue;
        auto it = a.find(key);
        if (it == a.end())
          return firstDifference(JsonValue(), value, child(key));
        if (std::string d = firstDifference(it->second, value, child(key));
            !d.empty())
          return d;
      }
    for (const auto &[key, value] : a)
      if (!b.count(key))
        return firstDifference(value, JsonValue(), child(key));
    return "";
  }
  case JsonValue::Kind::Null:
    return "";
  case JsonValue::Kind::Bool:
    return have.getBool() == want.getBool()
               ? ""
               : differ(have.summary(), want.summary());
  case JsonValue::Kind::Number:
    return have.getDouble() == want.getDouble()
               ? ""
               : differ(have.summary(), want.summary());
  case JsonValue::Kind::String:
    return have.getString() == want.getString()
               ? ""
               : differ(have.summary(), want.summary());
  }
  return "";
}

} // namespace

Status CompiledModule::checkSignature(const ModuleSpec &spec) const {
  std::string expected = spec.signature();
  if (expected == signature())
    return Status();
  std::string problem = describe() + " was compiled for another model or layer";
  StatusOr<JsonValue> have = parseJson(signature()), want = parseJson(expected);
  std::string difference =
      have.ok() && want.ok() ? firstDifference(*have, *want, "") : "";
  if (difference.empty())
    return Status::error(problem + ":\n  module: " + signature() +
                         "\n  needed: " + expected);
  return Status::error(problem + " (" + difference +
                       "); compile it again with moe-compile for this model "
                       "and these options");
}

namespace {

class SharedLibraryModule : public CompiledModule {
public:
  ~SharedLibraryModule() override {
    if (handle)
      dlclose(handle);
    if (imageFd < 0)
      return;
    // The image's name, /proc/self/fd/N, names another file once N is
    // reused; dlopen would hand out this module for it if the library
    // stayed loaded (dlclose may keep it), so N is then kept for good.
    void *still = dlopen(loadedName.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (still)
      dlclose(still);
    else
      ::close(imageFd);
  }
  const std::string &signature() const override { return sig; }
  std::string describe() const override { return "module " + path; }
  std::string gpuArch() const override { return arch; }
  void setThreads(int threads) const override {
    setThreadsWith(ompSetNumThreads, threads);
  }
  StatusOr<PackedFunction> lookup(const std::string &function) const override {
    std::string symbol = kEntryPointPrefix + function;
    void *address = dlsym(handle, symbol.c_str());
    if (!address)
      return Status::error(describe() + " has no function " + function +
                           " (no symbol " + symbol + ")");
    return reinterpret_cast<PackedFunction>(address);
  }

  void *handle = nullptr;
  /// The module's OpenMP runtime's omp_set_num_threads, or null for code
  /// compiled without threads.
  void *ompSetNumThreads = nullptr;
  /// The in-memory copy of the checked image that was loaded, or -1.
  int imageFd = -1;
  std::string sig, path, loadedName, arch;
};

/// An anonymous in-memory file holding `image`, or -1 where the system has
/// none.
int memoryFileOf(std::string_view image) {
  int fd = ::memfd_create("moec-module", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  if (!writeAll(fd, image)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s +=
        (i ? ", " : "") + (shape[i] == kDynamicSize ? std::string("?")
                                                    : std::to_string(shape[i]));
  return s + "]";
}

} // namespace

StatusOr<std::unique_ptr<CompiledModule>>
moec::loadSharedLibraryModule(const std::string &path) {
  StatusOr<std::string> bytes = readRegularFile(path, kMaxModuleFileBytes);
  if (!bytes.ok())
    return Status::error("cannot load module: " + bytes.status().message());
  StatusOr<std::string_view> image = checkSealedModule(*bytes, path);
  if (!image.ok())
    return image.status();

  // dlopen the bytes just checked, not the file again: the file may change
  // in between, and a later truncation must not pull pages from under the
  // running code.
  auto module = std::make_unique<SharedLibraryModule>();
  module->path = path;
  module->imageFd = memoryFileOf(*image);
  if (module->imageFd >= 0)
    module->loadedName = "/proc/self/fd/" + std::to_string(module->imageFd);
  else // A path without a slash would make dlopen search the library path.
    module->loadedName =
        path.find('/') == std::string::npos ? "./" + path : path;
  exposeGPURuntime();
  // A GPU module's initialiser loads its kernels onto the device; without a
  // driver or device that fails, and is reported here.
  module->handle = dlopen(module->loadedName.c_str(), RTLD_NOW | RTLD_LOCAL);
  Status gpuError = takeGPUError();
  if (!module->handle)
    return Status::error("cannot load module " + path + ": " + dlerror());
  if (auto *arch =
          static_cast<const char *>(dlsym(module->handle, kGPUArchSymbol)))
    module->arch = arch;
  if (!gpuError.ok())
    return Status::error("module " + path + " runs on a CUDA GPU (" +
                         module->arch +
                         ") and cannot be loaded: " + gpuError.message());
  auto *sig =
      static_cast<const char *>(dlsym(module->handle, kSignatureSymbol));
  if (!sig)
    return Status::error(path + " is not a moec module (no " +
                         std::string(kSignatureSymbol) +
                         " symbol); write one with moe-compile");
  module->sig = sig;
  module->ompSetNumThreads = dlsym(module->handle, "omp_set_num_threads");
  // Code for another CPU must not reach an illegal instruction. (Loading
  // runs none of it: CPU modules have no initialisers, and a GPU module's
  // host code is for any x86-64.)
  auto *features =
      static_cast<const char *>(dlsym(module->handle, kCPUFeaturesSymbol));
  if (!features)
    return Status::error(path + " lists no CPU features (no " +
                         std::string(kCPUFeaturesSymbol) +
                         " symbol): it was built by another version of "
                         "moec; compile it again with moe-compile");
  if (Status s = checkHostCPUFeatures(features, path); !s.ok())
    return Status::error(s.message() +
                         "; compile it for this CPU (moe-compile --cpu host)");
  return std::unique_ptr<CompiledModule>(std::move(module));
}

Status moec::invoke(PackedFunction entry, const FunctionSpec &function,
                    const std::vector<Argument> &arguments) {
  if (arguments.size() != function.operands.size())
    return Status::error("internal error: " + function.name + " takes " +
                         std::to_string(function.operands.size()) +
                         " operands, got " + std::to_string(arguments.size()));
  std::vector<std::vector<int64_t>> descriptors(arguments.size());
  std::vector<int64_t> indices(arguments.size());
  std::vector<void *> pointers(arguments.size());
  for (size_t i = 0; i < arguments.size(); ++i) {
    const OperandSpec &op = function.operands[i];
    const Argument &arg = arguments[i];
    if (op.role == OperandRole::Index) {
      indices[i] = arg.index;
      pointers[i] = &indices[i];
      continue;
    }
    bool fits = arg.data && arg.shape.size() == op.shape.size();
    for (size_t d = 0; fits && d < op.shape.size(); ++d)
      fits = arg.shape[d] >= 0 &&
             (op.shape[d] == kDynamicSize || op.shape[d] == arg.shape[d]);
    if (!fits)
      return Status::error("internal error: operand " + op.name + " of " +
                           function.name + " must be " + shapeText(op.shape) +
                           ", got " + shapeText(arg.shape));
    descriptors[i] = makeMemRefDescriptor(arg.data, arg.shape);
    pointers[i] = descriptors[i].data();
  }
  entry(pointers.data());
  return Status();
}
