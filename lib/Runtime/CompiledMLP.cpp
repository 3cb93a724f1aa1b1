//===- CompiledMLP.cpp - run an ahead-of-time compiled MLP ----------------===//
#include "moec/Runtime/CompiledMLP.h"

#include <dlfcn.h>

using namespace moec;

StatusOr<std::unique_ptr<CompiledMLP>>
CompiledMLP::load(const std::string &path) {
  // A path without a slash would make dlopen search the library path.
  std::string target = path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return Status::error("cannot load module " + path + ": " + dlerror());
  std::unique_ptr<CompiledMLP> m(new CompiledMLP());
  m->handle = handle;
  m->file = path;
  auto *sig = static_cast<const char *>(dlsym(handle, kSignatureSymbol));
  m->function = dlsym(handle, kMLPSymbol);
  if (!sig || !m->function)
    return Status::error(path + " is not a moec MLP module (no " +
                         std::string(sig ? kMLPSymbol : kSignatureSymbol) +
                         " symbol); write one with moe-compile");
  m->sig = sig;
  return m;
}

CompiledMLP::~CompiledMLP() {
  if (handle)
    dlclose(handle);
}

Status CompiledMLP::run(const std::vector<BufferArg> &args,
                        std::vector<int64_t> &outShape,
                        std::vector<float> &out) const {
  std::vector<std::vector<int64_t>> descriptors;
  for (const BufferArg &arg : args)
    descriptors.push_back(makeMemRefDescriptor(arg));
  std::vector<void *> p;
  for (auto &d : descriptors)
    p.push_back(d.data());
  MatrixDescriptor result{};
  void *r = &result;
  // The C interface takes the result pointer and one pointer per operand: x
  // and 3 (dense) to 8 (MoE with bias and shared experts) weights.
  using F4 = void (*)(void *, void *, void *, void *, void *);
  using F5 = void (*)(void *, void *, void *, void *, void *, void *);
  using F6 = void (*)(void *, void *, void *, void *, void *, void *, void *);
  using F7 =
      void (*)(void *, void *, void *, void *, void *, void *, void *, void *);
  using F8 = void (*)(void *, void *, void *, void *, void *, void *, void *,
                      void *, void *);
  using F9 = void (*)(void *, void *, void *, void *, void *, void *, void *,
                      void *, void *, void *);
  switch (p.size()) {
  case 4:
    reinterpret_cast<F4>(function)(r, p[0], p[1], p[2], p[3]);
    break;
  case 5:
    reinterpret_cast<F5>(function)(r, p[0], p[1], p[2], p[3], p[4]);
    break;
  case 6:
    reinterpret_cast<F6>(function)(r, p[0], p[1], p[2], p[3], p[4], p[5]);
    break;
  case 7:
    reinterpret_cast<F7>(function)(r, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    break;
  case 8:
    reinterpret_cast<F8>(function)(r, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
                                   p[7]);
    break;
  case 9:
    reinterpret_cast<F9>(function)(r, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
                                   p[7], p[8]);
    break;
  default:
    return Status::error("an MLP takes 4 to 9 operands, got " +
                         std::to_string(p.size()));
  }
  takeMatrixResult(result, outShape, out);
  return Status();
}
