//===- CompiledModule.cpp - calling compiled moec functions ---------------===//
#include "moec/Runtime/CompiledModule.h"

#include "moec/Runtime/MemRefABI.h"

#include <dlfcn.h>

using namespace moec;

CompiledModule::~CompiledModule() = default;

Status CompiledModule::checkSignature(const ModuleSpec &spec) const {
  std::string expected = spec.signature();
  if (expected == signature())
    return Status();
  return Status::error(describe() +
                       " was compiled for another model or layer:\n  module: " +
                       signature() + "\n  needed: " + expected);
}

namespace {

class SharedLibraryModule : public CompiledModule {
public:
  ~SharedLibraryModule() override {
    if (handle)
      dlclose(handle);
  }
  const std::string &signature() const override { return sig; }
  std::string describe() const override { return "module " + path; }
  StatusOr<PackedFunction> lookup(const std::string &function) const override {
    std::string symbol = kEntryPointPrefix + function;
    void *address = dlsym(handle, symbol.c_str());
    if (!address)
      return Status::error(describe() + " has no function " + function +
                           " (no symbol " + symbol + ")");
    return reinterpret_cast<PackedFunction>(address);
  }

  void *handle = nullptr;
  std::string sig, path;
};

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
  // A path without a slash would make dlopen search the library path.
  std::string target = path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return Status::error("cannot load module " + path + ": " + dlerror());
  auto module = std::make_unique<SharedLibraryModule>();
  module->handle = handle;
  module->path = path;
  auto *sig = static_cast<const char *>(dlsym(handle, kSignatureSymbol));
  if (!sig)
    return Status::error(path + " is not a moec module (no " +
                         std::string(kSignatureSymbol) +
                         " symbol); write one with moe-compile");
  module->sig = sig;
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
