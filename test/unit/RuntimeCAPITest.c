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

  moec_model_release(NULL);
  moec_module_release(NULL);
  moec_status_free(NULL);
  printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures ? 1 : 0;
}
