/* Links the installed moec runtime and checks that it answers. */
#include <moec/runtime.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  moec_model_t *model = NULL;
  moec_status_t status = moec_model_open("/nonexistent/model", &model);
  int ok = moec_runtime_api_version() == MOEC_RUNTIME_API_VERSION && status &&
           strstr(moec_status_message(status), "/nonexistent/model");
  moec_status_free(status);
  printf("%s\n", ok ? "consumer: moec runtime ok" : "consumer: FAILED");
  return ok ? 0 : 1;
}
