//===- moec-run-layer.cpp - run a compiled MLP block without the compiler -===//
//
//   moec-run-layer --model DIR --layer L --module FILE.so
//                  --input X.npy --output Y.npy [--repeat N]
//
// Runs decoder layer L's MLP block from an ahead-of-time module written by
// `moe-compile layer` (for the CPU or, with --target cuda, for a GPU)
// through the runtime C API. It links the runtime library and nothing of
// LLVM or MLIR, so it and a module are all a machine without the compiler
// needs (see README: "Running on another machine"). With --repeat N it runs
// the block N more times (moec_module_time_mlp) and prints the mean time per
// call to stderr; a GPU module's x and y stay in device memory meanwhile, so
// the time is the block's on the GPU, without copies.
//
//===----------------------------------------------------------------------===//
#include "moec/Support/CommandLine.h"
#include "moec/Support/Npy.h"
#include "moec/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "moec-run-layer: error: %s\n", message.c_str());
  return 1;
}

const char *kUsage =
    "usage: moec-run-layer --model DIR --layer L --module FILE.so "
    "--input X.npy --output Y.npy [--repeat N]\n";

/// A non-negative decimal integer, or -1.
long long parseCount(const char *text) {
  if (!*text)
    return -1;
  long long value = 0;
  for (const char *c = text; *c; ++c) {
    if (*c < '0' || *c > '9' || value > (1LL << 40))
      return -1;
    value = value * 10 + (*c - '0');
  }
  return value;
}

} // namespace

int main(int argc, char **argv) {
  std::string model, module, input, output;
  long long layer = -1, repeat = 0;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc)
      return fail(flag + " needs a value\n" + kUsage);
    const char *value = argv[++i];
    if (flag == "--model")
      model = value;
    else if (flag == "--module")
      module = value;
    else if (flag == "--input")
      input = value;
    else if (flag == "--output")
      output = value;
    else if (flag == "--layer" && (layer = parseCount(value)) < 0)
      return fail(std::string("--layer takes a layer index, got '") + value +
                  "'");
    else if (flag == "--repeat" && (repeat = parseCount(value)) < 0)
      return fail(std::string("--repeat takes a count, got '") + value + "'");
    else if (flag != "--layer" && flag != "--repeat")
      return fail("unknown option " + flag + "\n" + kUsage);
  }
  if (model.empty() || module.empty() || input.empty() || output.empty() ||
      layer < 0)
    return fail(std::string("--model, --layer, --module, --input and --output "
                            "are required\n") +
                kUsage);

  // Nothing the user gave is overwritten.
  if (moec::Status s = moec::checkOutputPath(output, model, {input, module});
      !s.ok())
    return fail(s.message());

  moec::StatusOr<moec::NpyArray> x = moec::readNpy(input);
  if (!x.ok())
    return fail(x.status().message());
  if (x->shape.size() != 2 || x->shape[0] < 1)
    return fail(input + " must hold float32 [T, hidden_size] with T >= 1");

  moec_model_t *m = nullptr;
  moec_module_t *mod = nullptr;
  auto check = [&](moec_status_t status) {
    if (!status)
      return true;
    fail(moec_status_message(status));
    moec_status_free(status);
    return false;
  };
  std::vector<float> y(x->data.size());
  bool ok = check(moec_model_open(model.c_str(), &m)) &&
            check(moec_module_load(module.c_str(), &mod));
  if (ok && repeat > 0) {
    double seconds = 0;
    ok = check(moec_module_time_mlp(mod, m, layer, x->data.data(), x->shape[0],
                                    y.data(), repeat, &seconds));
    if (ok)
      std::fprintf(stderr, "moec-run-layer: %lld calls, %.1f us per call\n",
                   repeat, seconds * 1e6);
  } else if (ok) {
    ok = check(moec_module_run_mlp(mod, m, layer, x->data.data(), x->shape[0],
                                   y.data()));
  }
  moec_module_release(mod);
  moec_model_release(m);
  if (!ok)
    return 1;
  moec::Status written = moec::writeNpy(output, x->shape, y.data());
  return written.ok() ? 0 : fail(written.message());
}
