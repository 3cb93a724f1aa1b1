//===- runtime.cpp - moec._runtime: the C API of moec/runtime.h in Python -===//
//
// A thin layer: one class per C handle, arrays passed as NumPy buffers that
// the C API reads or writes in place (the Python side makes them contiguous
// with the right dtype, copying only when they are not). Every moec status
// becomes moec.RunError; compute releases the GIL.
//
//===----------------------------------------------------------------------===//
#include <moec/runtime.h>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace nb = nanobind;

namespace {

/// A failed moec status on its way to Python.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(moec_status_t status) {
  if (!status)
    return;
  std::string message = moec_status_message(status);
  moec_status_free(status);
  throw Failure(message);
}

template <typename T>
using Array = nb::ndarray<T, nb::numpy, nb::c_contig, nb::device::cpu>;
using Ids =
    nb::ndarray<const int32_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/// Requires `array` to hold exactly `count` elements.
template <typename A>
void requireSize(const A &array, size_t count, const char *what) {
  if (array.size() != count)
    throw Failure(std::string(what) + " holds " + std::to_string(array.size()) +
                  " values, not " + std::to_string(count));
}

/// The buffer of an optional logits output [vocab], or null.
float *logitsOut(std::optional<Array<float>> &logits, int64_t vocab) {
  if (!logits)
    return nullptr;
  requireSize(*logits, static_cast<size_t>(vocab), "logits");
  return logits->data();
}

class Runtime {
public:
  Runtime(int threads, int target) {
    moec_runtime_options_t options;
    moec_runtime_options_init(&options);
    options.threads = threads;
    options.target = static_cast<moec_target_t>(target);
    check(moec_runtime_create(&options, &handle));
  }
  ~Runtime() { moec_runtime_release(handle); }
  moec_runtime_t *handle = nullptr;
};

class CompiledModel {
public:
  CompiledModel(Runtime &runtime, const std::string &modelDir,
                const std::string &modulePath) {
    nb::gil_scoped_release unlocked;
    check(moec_compiled_model_load(runtime.handle, modelDir.c_str(),
                                   modulePath.c_str(), &handle));
  }
  ~CompiledModel() { moec_compiled_model_release(handle); }
  std::vector<int32_t> eosTokenIds() const {
    std::vector<int32_t> ids(
        moec_compiled_model_eos_token_ids(handle, nullptr, 0));
    moec_compiled_model_eos_token_ids(handle, ids.data(),
                                      static_cast<int64_t>(ids.size()));
    return ids;
  }
  moec_compiled_model_t *handle = nullptr;
};

class Session {
public:
  Session(CompiledModel &model, int64_t capacity)
      : vocab(moec_compiled_model_vocab_size(model.handle)) {
    check(moec_session_create(model.handle, capacity, &handle));
  }
  ~Session() { moec_session_release(handle); }

  void prefill(Ids ids, std::optional<Array<float>> logits) {
    float *out = logitsOut(logits, vocab);
    nb::gil_scoped_release unlocked;
    check(moec_session_prefill(handle, ids.data(),
                               static_cast<int64_t>(ids.size()), out));
  }
  void decode(int32_t id, std::optional<Array<float>> logits) {
    float *out = logitsOut(logits, vocab);
    nb::gil_scoped_release unlocked;
    check(moec_session_decode(handle, id, out));
  }
  void logits(Ids ids, Array<float> logits) {
    requireSize(logits, ids.size() * static_cast<size_t>(vocab), "logits");
    nb::gil_scoped_release unlocked;
    check(moec_session_logits(handle, ids.data(),
                              static_cast<int64_t>(ids.size()), logits.data()));
  }
  moec_session_t *handle = nullptr;
  int64_t vocab;
};

class Generator {
public:
  Generator(Session &session, Ids prompt, int64_t maxNewTokens,
            double temperature, double topP, uint64_t seed,
            std::optional<std::vector<int32_t>> stopIds)
      : vocab(session.vocab) {
    moec_generate_options_t options;
    moec_generate_options_init(&options);
    options.max_new_tokens = maxNewTokens;
    options.temperature = temperature;
    options.top_p = topP;
    options.seed = seed;
    if (stopIds) {
      stops = *stopIds;
      options.stop_ids = stops.data();
      options.num_stop_ids = static_cast<int64_t>(stops.size());
    }
    check(moec_generator_create(session.handle, prompt.data(),
                                static_cast<int64_t>(prompt.size()), &options,
                                &handle));
  }
  ~Generator() { moec_generator_release(handle); }

  /// The next token, or None once generation is over; writes its logits to
  /// `logits` when given.
  std::optional<int32_t> next(std::optional<Array<float>> logits) {
    float *out = logitsOut(logits, vocab);
    int32_t token = 0;
    int done = 0;
    {
      nb::gil_scoped_release unlocked;
      check(moec_generator_next(handle, &token, out, &done));
    }
    if (done)
      return std::nullopt;
    return token;
  }
  moec_generator_t *handle = nullptr;
  int64_t vocab;
  std::vector<int32_t> stops;
};

class Tokenizer {
public:
  explicit Tokenizer(const std::string &path) {
    check(moec_tokenizer_load(path.c_str(), &handle));
  }
  ~Tokenizer() { moec_tokenizer_release(handle); }
  std::vector<int32_t> encode(const std::string &text,
                              bool addSpecialTokens) const {
    int64_t count = 0;
    check(moec_tokenizer_encode(handle, text.data(),
                                static_cast<int64_t>(text.size()),
                                addSpecialTokens, nullptr, 0, &count));
    std::vector<int32_t> ids(static_cast<size_t>(count));
    check(moec_tokenizer_encode(handle, text.data(),
                                static_cast<int64_t>(text.size()),
                                addSpecialTokens, ids.data(), count, &count));
    return ids;
  }
  nb::str decode(const std::vector<int32_t> &ids,
                 bool skipSpecialTokens) const {
    int64_t length = 0;
    const int64_t count = static_cast<int64_t>(ids.size());
    check(moec_tokenizer_decode(handle, ids.data(), count, skipSpecialTokens,
                                nullptr, 0, &length));
    std::string text(static_cast<size_t>(length) + 1, '\0');
    check(moec_tokenizer_decode(handle, ids.data(), count, skipSpecialTokens,
                                text.data(), length + 1, &length));
    text.resize(static_cast<size_t>(length));
    return nb::str(text.data(), text.size());
  }
  moec_tokenizer_t *handle = nullptr;
};

class Checkpoint {
public:
  explicit Checkpoint(const std::string &directory) {
    check(moec_model_open(directory.c_str(), &handle));
  }
  ~Checkpoint() { moec_model_release(handle); }
  moec_model_t *handle = nullptr;
};

class LayerModule {
public:
  explicit LayerModule(const std::string &path) {
    check(moec_module_load(path.c_str(), &handle));
  }
  ~LayerModule() { moec_module_release(handle); }
  void run(Checkpoint &checkpoint, int64_t layer, Array<const float> x,
           Array<float> y) {
    const int64_t hidden = moec_model_hidden_size(checkpoint.handle);
    if (x.ndim() != 2 || x.shape(1) != static_cast<size_t>(hidden))
      throw Failure("x must have shape [tokens, " + std::to_string(hidden) +
                    "]");
    requireSize(y, x.size(), "y");
    nb::gil_scoped_release unlocked;
    check(moec_module_run_mlp(handle, checkpoint.handle, layer, x.data(),
                              static_cast<int64_t>(x.shape(0)), y.data()));
  }
  moec_module_t *handle = nullptr;
};

} // namespace

NB_MODULE(_runtime, m) {
  m.doc() = "The moec runtime C API (moec/runtime.h); use the moec package.";
  m.attr("API_VERSION") = moec_runtime_api_version();
  m.attr("TARGET_CPU") = static_cast<int>(MOEC_TARGET_CPU);
  m.attr("TARGET_CUDA") = static_cast<int>(MOEC_TARGET_CUDA);

  nb::object runError = nb::module_::import_("moec._errors").attr("RunError");
  nb::register_exception_translator(
      [](const std::exception_ptr &p, void *payload) {
        try {
          std::rethrow_exception(p);
        } catch (const Failure &e) {
          PyErr_SetString(static_cast<PyObject *>(payload), e.what());
        }
      },
      runError.release().ptr());

  nb::class_<Runtime>(m, "Runtime")
      .def(nb::init<int, int>(), nb::arg("threads"), nb::arg("target"));

  nb::class_<CompiledModel>(m, "CompiledModel")
      .def(nb::init<Runtime &, const std::string &, const std::string &>(),
           nb::arg("runtime"), nb::arg("model_dir"), nb::arg("module_path"))
      .def_prop_ro("vocab_size",
                   [](const CompiledModel &c) {
                     return moec_compiled_model_vocab_size(c.handle);
                   })
      .def_prop_ro("hidden_size",
                   [](const CompiledModel &c) {
                     return moec_compiled_model_hidden_size(c.handle);
                   })
      .def_prop_ro("num_layers",
                   [](const CompiledModel &c) {
                     return moec_compiled_model_num_layers(c.handle);
                   })
      .def_prop_ro("max_positions",
                   [](const CompiledModel &c) {
                     return moec_compiled_model_max_positions(c.handle);
                   })
      .def_prop_ro("bos_token_id",
                   [](const CompiledModel &c) {
                     return moec_compiled_model_bos_token_id(c.handle);
                   })
      .def_prop_ro("eos_token_ids", &CompiledModel::eosTokenIds);

  nb::class_<Session>(m, "Session")
      .def(nb::init<CompiledModel &, int64_t>(), nb::arg("model"),
           nb::arg("capacity"), nb::keep_alive<1, 2>())
      .def_prop_ro(
          "position",
          [](const Session &s) { return moec_session_position(s.handle); })
      .def_prop_ro(
          "capacity",
          [](const Session &s) { return moec_session_capacity(s.handle); })
      .def_prop_ro("cache_bytes_per_token",
                   [](const Session &s) {
                     return moec_session_cache_bytes_per_token(s.handle);
                   })
      .def("reset", [](Session &s) { moec_session_reset(s.handle); })
      .def("prefill", &Session::prefill, nb::arg("ids"),
           nb::arg("logits").none())
      .def("decode", &Session::decode, nb::arg("id"), nb::arg("logits").none())
      .def("logits", &Session::logits, nb::arg("ids"), nb::arg("logits"));

  nb::class_<Generator>(m, "Generator")
      .def(nb::init<Session &, Ids, int64_t, double, double, uint64_t,
                    std::optional<std::vector<int32_t>>>(),
           nb::arg("session"), nb::arg("prompt"), nb::arg("max_new_tokens"),
           nb::arg("temperature"), nb::arg("top_p"), nb::arg("seed"),
           nb::arg("stop_ids").none(), nb::keep_alive<1, 2>())
      .def("next", &Generator::next, nb::arg("logits").none());

  nb::class_<Tokenizer>(m, "Tokenizer")
      .def(nb::init<const std::string &>(), nb::arg("path"))
      .def("encode", &Tokenizer::encode, nb::arg("text"),
           nb::arg("add_special_tokens"))
      .def("decode", &Tokenizer::decode, nb::arg("ids"),
           nb::arg("skip_special_tokens"));

  nb::class_<Checkpoint>(m, "Checkpoint")
      .def(nb::init<const std::string &>(), nb::arg("directory"));

  nb::class_<LayerModule>(m, "LayerModule")
      .def(nb::init<const std::string &>(), nb::arg("path"))
      .def("run", &LayerModule::run, nb::arg("checkpoint"), nb::arg("layer"),
           nb::arg("x"), nb::arg("y"));
}
