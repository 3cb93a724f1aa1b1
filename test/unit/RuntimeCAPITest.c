/*===- RuntimeCAPITest.c - the runtime C API from C ----------------------===*
 *
 * Compiled as C so that moec/runtime.h stays a C header. Checks the error
 * paths that need no compiled module: every failure is a status with a
 * message naming the problem, and releasing NULL handles is harmless.
 *===----------------------------------------------------------------------===*/
#include "moec/runtime.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

static void expectError(moec_status_t status, const char *needle,
                        const char *what) {
  expect(status != NULL, what);
  if (status) {
    const char *message = moec_status_message(status);
    if (!strstr(message, needle)) {
      fprintf(stderr, "FAILED: %s: message '%s' lacks '%s'\n", what, message,
              needle);
      ++failures;
    }
    moec_status_free(status);
  }
}

int main(void) {
  expect(moec_runtime_api_version() == MOEC_RUNTIME_API_VERSION, "API version");
  expect(strcmp(moec_status_message(NULL), "ok") == 0, "ok status");

  moec_model_t *model = NULL;
  expectError(moec_model_open("/nonexistent/moec-model", &model),
              "/nonexistent/moec-model", "opening a missing model");
  expect(model == NULL, "no model on failure");
  expectError(moec_model_open(NULL, &model), "must not be NULL",
              "NULL directory");

  moec_module_t *module = NULL;
  expectError(moec_module_load("/nonexistent/layer.so", &module),
              "/nonexistent/layer.so", "loading a missing module");
  expect(module == NULL, "no module on failure");

  float x[4] = {0}, y[4];
  expectError(moec_module_run_mlp(NULL, NULL, 0, x, 1, y), "must not be NULL",
              "running without handles");
  double seconds = 0;
  expectError(moec_module_time_mlp(NULL, NULL, 0, x, 1, y, 1, &seconds),
              "must not be NULL", "timing without handles");
  expectError(moec_module_time_mlp(NULL, NULL, 0, x, 1, y, 0, &seconds),
              "repeats", "timing no run");

  /* Runtimes: options are checked; CUDA needs a driver and a device. */
  moec_runtime_options_t options;
  moec_runtime_options_init(&options);
  expect(options.size == sizeof options && options.threads == 0 &&
             options.target == MOEC_TARGET_CPU,
         "runtime option defaults");
  moec_runtime_t *runtime = NULL;
  options.threads = -2;
  expectError(moec_runtime_create(&options, &runtime), "threads",
              "negative threads");
  options.threads = 1;
  options.target = MOEC_TARGET_CUDA;
  expectError(moec_runtime_create(&options, &runtime), "CUDA",
              "a CUDA runtime without a GPU");
  options.target = MOEC_TARGET_CPU;
  options.size = 4;
  expectError(moec_runtime_create(&options, &runtime), "options->size",
              "options not filled by init");
  expect(runtime == NULL, "no runtime on failure");
  expect(moec_runtime_create(NULL, &runtime) == NULL, "default runtime");

  moec_compiled_model_t *compiled = NULL;
  expectError(moec_compiled_model_load(runtime, "/nonexistent/moec-model",
                                       "/nonexistent/model.so", &compiled),
              "/nonexistent/moec-model", "loading a missing model");
  expectError(moec_compiled_model_load(runtime, NULL, "m.so", &compiled),
              "model_dir must not be NULL", "NULL model directory");
  expect(compiled == NULL, "no compiled model on failure");
  expect(moec_compiled_model_vocab_size(NULL) == 0, "vocab of NULL");
  expect(moec_compiled_model_bos_token_id(NULL) == -1, "BOS of NULL");

  moec_session_t *session = NULL;
  expectError(moec_session_create(NULL, 8, &session), "model must not be NULL",
              "a session without a model");
  int32_t ids[2] = {1, 2};
  expectError(moec_session_prefill(NULL, ids, 2, NULL),
              "session must not be NULL", "prefill without a session");
  expectError(moec_session_logits(NULL, ids, 2, NULL),
              "logits must not be NULL", "logits without a buffer");
  expectError(moec_generate(NULL, ids, 2, NULL, NULL, NULL, NULL, NULL),
              "session must not be NULL", "generate without a session");
  expect(moec_session_position(NULL) == 0, "position of NULL");
  moec_session_reset(NULL);

  moec_generate_options_t generate;
  moec_generate_options_init(&generate);
  expect(generate.size == sizeof generate && generate.max_new_tokens == 16 &&
             generate.temperature == 0 && generate.top_p == 1 &&
             generate.stop_ids == NULL,
         "generate option defaults");

  moec_tokenizer_t *tokenizer = NULL;
  expectError(moec_tokenizer_load("/nonexistent/tokenizer.json", &tokenizer),
              "/nonexistent/tokenizer.json", "loading a missing tokenizer");
  expect(tokenizer == NULL, "no tokenizer on failure");
  int64_t count = 0;
  expectError(moec_tokenizer_encode(NULL, "hi", -1, 1, NULL, 0, &count),
              "must not be NULL", "encoding without a tokenizer");

  moec_session_release(NULL);
  moec_compiled_model_release(NULL);
  moec_runtime_release(runtime);
  moec_runtime_release(NULL);
  moec_tokenizer_release(NULL);
  moec_model_release(NULL);
  moec_module_release(NULL);
  moec_status_free(NULL);
  printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures ? 1 : 0;
}
