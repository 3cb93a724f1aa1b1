/*===- moec/runtime.h - the moec runtime C API ---------------------------===*
 *
 * Runs DeepSeekMoE layers compiled ahead of time by moe-compile, without the
 * compiler. Plain C, versioned (MOEC_RUNTIME_API_VERSION).
 *
 * Objects:
 *  - moec_model_t: a Hugging Face DeepSeekMoE checkpoint directory
 *    (config.json + safetensors, memory-mapped). Per-layer weight operands
 *    are prepared on first use and cached.
 *  - moec_module_t: one compiled MLP block (a moe-compile shared library).
 *
 * Errors: every fallible call returns a moec_status_t, NULL on success. A
 * non-NULL status carries a message naming what is wrong (file, tensor,
 * shape); the caller frees it with moec_status_free.
 *
 * Ownership: objects returned through `out` belong to the caller, who
 * releases them; input buffers stay the caller's and are only read during
 * the call; output buffers are written during the call.
 *
 * Threads: a module may be run from several threads at once. A model may be
 * shared by threads once each layer they use has run once (the first run of
 * a layer fills its cache); otherwise serialise calls on one model.
 *===----------------------------------------------------------------------===*/
#ifndef MOEC_RUNTIME_H
#define MOEC_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOEC_RUNTIME_API_VERSION 1

/** The API version the library was built with. */
int moec_runtime_api_version(void);

/** NULL means success; otherwise an error the caller must free. */
typedef struct moec_status *moec_status_t;
/** The error message of a non-NULL status. */
const char *moec_status_message(moec_status_t status);
void moec_status_free(moec_status_t status);

typedef struct moec_model moec_model_t;
/** Opens the checkpoint in `directory` and validates config.json and every
 *  safetensors header. */
moec_status_t moec_model_open(const char *directory, moec_model_t **out);
void moec_model_release(moec_model_t *model);
int64_t moec_model_hidden_size(const moec_model_t *model);
int64_t moec_model_num_layers(const moec_model_t *model);

typedef struct moec_module moec_module_t;
/** Loads a module written by moe-compile. */
moec_status_t moec_module_load(const char *path, moec_module_t **out);
void moec_module_release(moec_module_t *module);

/** Runs layer `layer`'s MLP block of `model` with `module` on the hidden
 *  states `x` [tokens, hidden_size] (float32, row-major; the input after
 *  post_attention_layernorm) and writes the block's output (before the
 *  residual add) to `y` [tokens, hidden_size]. Fails if the module was
 *  compiled for another layer kind, shape, routing or weight dtypes. */
moec_status_t moec_module_run_mlp(moec_module_t *module, moec_model_t *model,
                                  int64_t layer, const float *x, int64_t tokens,
                                  float *y);

#ifdef __cplusplus
}
#endif

#endif /* MOEC_RUNTIME_H */
