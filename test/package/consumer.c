/* Links the installed moec runtime, as an outside program would, and runs a
 * compiled MLP block: `consumer MODEL_DIR MODULE.so` with MODULE.so compiled
 * by moe-compile for layer 1 of MODEL_DIR (hidden size 64, 2 layers). */
#include <moec/runtime.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check(moec_status_t status, const char *what) {
  if (!status)
    return 1;
  fprintf(stderr, "consumer: %s failed: %s\n", what,
          moec_status_message(status));
  moec_status_free(status);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: consumer MODEL_DIR MODULE.so\n");
    return 2;
  }
  int ok = moec_runtime_api_version() == MOEC_RUNTIME_API_VERSION;

  moec_model_t *model = NULL;
  moec_module_t *module = NULL;
  ok = ok && check(moec_model_open(argv[1], &model), "opening the model");
  ok = ok && moec_model_hidden_size(model) == 64 &&
       moec_model_num_layers(model) == 2;
  ok = ok && check(moec_module_load(argv[2], &module), "loading the module");

  enum { T = 3, H = 64 };
  float x[T * H], y[T * H];
  for (int i = 0; i < T * H; ++i) {
    x[i] = (float)sin(0.1 * i);
    y[i] = NAN;
  }
  ok = ok &&
       check(moec_module_run_mlp(module, model, 1, x, T, y), "running layer 1");
  double norm = 0;
  for (int i = 0; ok && i < T * H; ++i) {
    ok = isfinite(y[i]);
    norm += (double)y[i] * y[i];
  }
  ok = ok && norm > 0;

  /* Errors come back as statuses naming the problem. */
  moec_status_t bad = moec_module_run_mlp(module, model, 7, x, T, y);
  ok = ok && bad && strstr(moec_status_message(bad), "out of range");
  moec_status_free(bad);
  moec_model_t *missing = NULL;
  bad = moec_model_open("/nonexistent/model", &missing);
  ok = ok && bad && strstr(moec_status_message(bad), "/nonexistent/model") &&
       !missing;
  moec_status_free(bad);

  moec_module_release(module);
  moec_model_release(model);
  printf("%s\n", ok ? "consumer: moec runtime ok" : "consumer: FAILED");
  return ok ? 0 : 1;
}
