//===- CompiledMLP.h - run an ahead-of-time compiled MLP -------*- C++ -*-===//
//
// Loads a shared library written by moe-compile and calls its MLP function,
// without the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_COMPILEDMLP_H
#define MOEC_RUNTIME_COMPILEDMLP_H

#include "moec/Model/Status.h"
#include "moec/Runtime/MemRefABI.h"

#include <memory>
#include <string>
#include <vector>

namespace moec {

/// The symbols of a moe-compile artifact.
inline constexpr const char *kSignatureSymbol = "moec_signature";
inline constexpr const char *kMLPSymbol = "_mlir_ciface_mlp";

/// A loaded MLP module. Calls are thread-safe (the code keeps no state).
class CompiledMLP {
public:
  /// dlopens `path` and finds its symbols; errors name the file.
  static StatusOr<std::unique_ptr<CompiledMLP>> load(const std::string &path);
  ~CompiledMLP();
  CompiledMLP(const CompiledMLP &) = delete;
  CompiledMLP &operator=(const CompiledMLP &) = delete;

  /// The signature (see mlpSignature) the module was compiled for.
  const std::string &signature() const { return sig; }
  const std::string &path() const { return file; }

  /// Calls mlp(x, weights...) -> [T, H] with `args` = {x, weights...}.
  Status run(const std::vector<BufferArg> &args, std::vector<int64_t> &outShape,
             std::vector<float> &out) const;

private:
  CompiledMLP() = default;
  void *handle = nullptr;
  void *function = nullptr;
  std::string sig, file;
};

} // namespace moec

#endif // MOEC_RUNTIME_COMPILEDMLP_H
