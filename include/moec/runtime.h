/*===- moec/runtime.h - the moec runtime C API ---------------------------===*
 *
 * Runs DeepSeek models (model types deepseek, deepseek_v2, deepseek_v3)
 * compiled ahead of time by moe-compile, without the compiler: the library
 * links no LLVM or MLIR. Plain C, versioned (MOEC_RUNTIME_API_VERSION).
 *
 *   moec_runtime_t         options every model loaded through it runs with
 *                          (threads, target).
 *   moec_compiled_model_t  a checkpoint directory with a whole-model module
 *                          from `moe-compile model`, weights bound.
 *   moec_session_t         one sequence on a compiled model: its KV cache
 *                          and position. Prefill, decode steps, logits,
 *                          generation with a callback per token.
 *   moec_tokenizer_t       a tokenizer.json (byte-level BPE): text <-> ids.
 *   moec_model_t,          one MLP block: a checkpoint and a module from
 *   moec_module_t          `moe-compile layer`.
 *
 * Errors: every fallible call returns a moec_status_t, NULL on success. A
 * non-NULL status carries a message naming what is wrong (file, tensor,
 * shape, argument); the caller frees it with moec_status_free. A failed call
 * leaves its outputs and the objects it was given as they were, unless its
 * documentation says otherwise. Nothing aborts the process on bad input.
 *
 * Ownership: objects returned through `out` belong to the caller, who
 * releases them with the matching *_release (which accepts NULL); input
 * buffers stay the caller's and are only read during the call; output
 * buffers are written during the call.
 *
 * Threads: each function states what may run at the same time. In short,
 * loaded models, modules and tokenizers are immutable and shared freely;
 * a session is used by one thread at a time; different sessions on one
 * compiled model run concurrently and give the results they give alone.
 *===----------------------------------------------------------------------===*/
#ifndef MOEC_RUNTIME_H
#define MOEC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 3: moec_module_time_mlp. 2: whole models (runtime, compiled model,
 *    session, generation) and the tokenizer. 1: MLP blocks. */
#define MOEC_RUNTIME_API_VERSION 3

/** The API version the library was built with; an application built
 *  against an older header keeps working with a newer library. Any
 *  thread. */
int moec_runtime_api_version(void);

/** NULL means success; otherwise an error the caller must free. */
typedef struct moec_status *moec_status_t;
/** The error message of `status` ("ok" for NULL), valid until the status is
 *  freed. */
const char *moec_status_message(moec_status_t status);
/** Frees a status returned by any call; NULL is a no-op. */
void moec_status_free(moec_status_t status);

/*===-------------------------- Runtime instances ------------------------===*/

/** Where compiled code runs. */
typedef enum moec_target {
  MOEC_TARGET_CPU = 0,
  /** GPU 0 through the CUDA driver (libcuda.so.1, loaded at run time):
   *  refused, saying why, without a driver or a device; its compiled models
   *  must be modules for the GPU (moe-compile model --target cuda). */
  MOEC_TARGET_CUDA = 1
} moec_target_t;

typedef struct moec_runtime_options {
  /** sizeof(moec_runtime_options_t), set by moec_runtime_options_init; lets
   *  later versions add fields. */
  size_t size;
  /** Threads that each call runs compiled code on; 0 (the default): the
   *  OpenMP default (OMP_NUM_THREADS, else every core). */
  int32_t threads;
  /** MOEC_TARGET_CPU (the default), which runs each module where it was
   *  compiled for (a GPU module on GPU 0), or MOEC_TARGET_CUDA. */
  moec_target_t target;
} moec_runtime_options_t;

/** Fills `options` with the defaults. Any thread. */
void moec_runtime_options_init(moec_runtime_options_t *options);

typedef struct moec_runtime moec_runtime_t;
/** A runtime with `options` (NULL: the defaults). Fails on a negative
 *  thread count or a target this build cannot run. Any thread. */
moec_status_t moec_runtime_create(const moec_runtime_options_t *options,
                                  moec_runtime_t **out);
/** Models loaded through `runtime` keep their own copy of its options, so it
 *  may be released before them. Not while another thread uses it. */
void moec_runtime_release(moec_runtime_t *runtime);

/*===-------------------------- Compiled models --------------------------===*/

typedef struct moec_compiled_model moec_compiled_model_t;
/** Opens the checkpoint in `model_dir` (config.json + safetensors), loads
 *  `module_path`, a module written by `moe-compile model` for that
 *  checkpoint (its KV cache type and weight layout come from the module),
 *  and binds the weights. Errors name the file, tensor or setting that does
 *  not match. Any thread; several loads may run at once. */
moec_status_t moec_compiled_model_load(moec_runtime_t *runtime,
                                       const char *model_dir,
                                       const char *module_path,
                                       moec_compiled_model_t **out);
/** Releases the model; every session on it must be released first. NULL
 *  is a no-op. */
void moec_compiled_model_release(moec_compiled_model_t *model);

/* What the model is (config.json); any thread, 0 for NULL. */
/** vocab_size: the width of every logits row. */
int64_t moec_compiled_model_vocab_size(const moec_compiled_model_t *model);
/** hidden_size. */
int64_t moec_compiled_model_hidden_size(const moec_compiled_model_t *model);
/** num_hidden_layers. */
int64_t moec_compiled_model_num_layers(const moec_compiled_model_t *model);
/** max_position_embeddings: the most tokens a session can hold. */
int64_t moec_compiled_model_max_positions(const moec_compiled_model_t *model);
/** bos_token_id, or -1 when the config has none. */
int64_t moec_compiled_model_bos_token_id(const moec_compiled_model_t *model);
/** Writes up to `capacity` of the eos_token_id ids (the default stop ids of
 *  generation) to `ids` and returns how many there are. */
int64_t moec_compiled_model_eos_token_ids(const moec_compiled_model_t *model,
                                          int32_t *ids, int64_t capacity);

/*===-------------------------------- Sessions ---------------------------===*/

typedef struct moec_session moec_session_t;
/** A new sequence on `model` holding up to `capacity` tokens (prompt and
 *  generated; at most max_positions), with its own KV cache, whose pages
 *  are committed as positions fill. The session refers to `model`, which
 *  must outlive it. Any thread; any number of sessions per model. */
moec_status_t moec_session_create(const moec_compiled_model_t *model,
                                  int64_t capacity, moec_session_t **out);
/** Releases the session and its KV cache; NULL is a no-op. Not while a
 *  call on the session runs. */
void moec_session_release(moec_session_t *session);

/* The functions below that take a session must not run at the same time on
 * the same session; on different sessions they may, from any threads, and
 * give exactly the results they give one at a time. */

/** Tokens in the session's cache (0 for NULL). */
int64_t moec_session_position(const moec_session_t *session);
/** The most tokens the session holds, as created (0 for NULL). */
int64_t moec_session_capacity(const moec_session_t *session);
/** Bytes of KV cache that one token takes, over all layers. */
int64_t moec_session_cache_bytes_per_token(const moec_session_t *session);
/** Forgets every token: the next call starts at position 0. */
void moec_session_reset(moec_session_t *session);

/** Runs `ids` [count] at the session's next positions, appending them to
 *  the cache (a prompt, or the next turn of one), and writes the logits of
 *  the last one to `logits` [vocab_size] unless it is NULL. Every id must be
 *  below vocab_size and the cache must have room; on an error the session
 *  is unchanged. */
moec_status_t moec_session_prefill(moec_session_t *session, const int32_t *ids,
                                   int64_t count, float *logits);
/** One decode step: runs `id` against the cache and writes its logits
 *  [vocab_size] to `logits` unless it is NULL. */
moec_status_t moec_session_decode(moec_session_t *session, int32_t id,
                                  float *logits);
/** As moec_session_prefill, but writes the logits of every id, row by row,
 *  to `logits` [count, vocab_size] (not NULL). */
moec_status_t moec_session_logits(moec_session_t *session, const int32_t *ids,
                                  int64_t count, float *logits);

/*===------------------------------ Generation ---------------------------===*/

typedef struct moec_generate_options {
  /** sizeof(moec_generate_options_t), set by moec_generate_options_init. */
  size_t size;
  /** New tokens at most (default 16). */
  int64_t max_new_tokens;
  /** 0 (the default): greedy, the highest logit (the lowest id among equal
   *  ones). Otherwise sample from softmax(logits / temperature). */
  double temperature;
  /** Nucleus sampling: keep the most likely tokens whose probabilities sum
   *  to at least top_p (default 1: all). */
  double top_p;
  /** Seeds the sampler: the same seed gives the same tokens. */
  uint64_t seed;
  /** Generation stops after producing one of these (it is included).
   *  NULL (the default): the model's eos_token_id ids. */
  const int32_t *stop_ids;
  int64_t num_stop_ids;
} moec_generate_options_t;

/** Fills `options` with the defaults. Any thread. */
void moec_generate_options_init(moec_generate_options_t *options);

typedef struct moec_generator moec_generator_t;
/** Generation one token per call (a pull-style alternative to
 *  moec_generate): nothing runs until moec_generator_next. The generator
 *  uses `session`, which must outlive it and must not be used otherwise
 *  while the generator lives. Checks the options and the prompt (at least
 *  one id). */
moec_status_t moec_generator_create(moec_session_t *session,
                                    const int32_t *prompt, int64_t prompt_count,
                                    const moec_generate_options_t *options,
                                    moec_generator_t **out);
/** The next token: runs the prompt (on the first call) or the previous
 *  token against the cache, chooses a token, sets `*token` and writes the
 *  logits [vocab_size] it was chosen from to `logits` unless it is NULL,
 *  and sets `*done` to 0. Once max_new_tokens tokens were produced or the
 *  previous token was a stop id, sets `*done` to 1 instead and runs nothing.
 *  After an error, generation is over: later calls set `*done` to 1. */
moec_status_t moec_generator_next(moec_generator_t *generator, int32_t *token,
                                  float *logits, int *done);
/** Releases the generator (NULL is a no-op); its session stays usable, at
 *  the position generation reached. */
void moec_generator_release(moec_generator_t *generator);

/** Called with each new token and the logits [vocab_size] it was chosen
 *  from (valid during the call) as soon as it is chosen; returning nonzero
 *  stops generation after it. It runs on the thread that called
 *  moec_generate and must not use the same session. */
typedef int (*moec_token_callback_t)(int32_t token, const float *logits,
                                     int64_t vocab_size, void *user_data);

/** Generates all at once: moec_generator_next until done, or until the
 *  callback says stop. The new tokens go to `tokens` (room for
 *  max_new_tokens, or NULL) and their number to `*count` (or NULL);
 *  `on_token` (or NULL) streams them. The last new token is not yet in the
 *  cache: to continue the conversation, begin the next prompt with it. On
 *  an error, the tokens produced before it have been written and counted.
 */
moec_status_t moec_generate(moec_session_t *session, const int32_t *prompt,
                            int64_t prompt_count,
                            const moec_generate_options_t *options,
                            moec_token_callback_t on_token, void *user_data,
                            int32_t *tokens, int64_t *count);

/*===------------------------------- Tokenizer ---------------------------===*/

typedef struct moec_tokenizer moec_tokenizer_t;
/** Reads a Hugging Face tokenizer.json (byte-level BPE), given as the file
 *  or as the model directory that holds it. Any thread. */
moec_status_t moec_tokenizer_load(const char *path, moec_tokenizer_t **out);
/** Not while another thread uses the tokenizer; NULL is a no-op. */
void moec_tokenizer_release(moec_tokenizer_t *tokenizer);

/* Encoding and decoding may run on one tokenizer from several threads. */

/** The ids of `text` [length bytes of UTF-8; length < 0: NUL-terminated],
 *  with the tokenizer's special tokens (the BOS) when `add_special_tokens`,
 *  as `tokenizers` encodes it. Sets `*count` to the number of ids and
 *  writes them to `ids` when they fit in `capacity` (call with capacity 0
 *  to size the buffer). Fails on text that is not valid UTF-8. */
moec_status_t moec_tokenizer_encode(const moec_tokenizer_t *tokenizer,
                                    const char *text, int64_t length,
                                    int add_special_tokens, int32_t *ids,
                                    int64_t capacity, int64_t *count);
/** The UTF-8 text of `ids` [count], without special tokens when
 *  `skip_special_tokens`; bytes of a character cut off by the end of `ids`
 *  become U+FFFD, unknown ids are skipped. Sets `*length` to the text's
 *  length in bytes and writes it, NUL-terminated, to `text` when
 *  length + 1 <= capacity. */
moec_status_t moec_tokenizer_decode(const moec_tokenizer_t *tokenizer,
                                    const int32_t *ids, int64_t count,
                                    int skip_special_tokens, char *text,
                                    int64_t capacity, int64_t *length);

/*===------------------------------ MLP blocks ---------------------------===*/

typedef struct moec_model moec_model_t;
/** Opens the checkpoint in `directory` and validates config.json and every
 *  safetensors header. Any thread. */
moec_status_t moec_model_open(const char *directory, moec_model_t **out);
/** Not while another thread uses the model. */
void moec_model_release(moec_model_t *model);
/** config.json's hidden_size; any thread, 0 for NULL. */
int64_t moec_model_hidden_size(const moec_model_t *model);
/** config.json's num_hidden_layers; any thread, 0 for NULL. */
int64_t moec_model_num_layers(const moec_model_t *model);

typedef struct moec_module moec_module_t;
/** Loads a module written by `moe-compile layer`. Any thread. */
moec_status_t moec_module_load(const char *path, moec_module_t **out);
/** Not while another thread uses the module. */
void moec_module_release(moec_module_t *module);

/** Runs layer `layer`'s MLP block of `model` with `module` on the hidden
 *  states `x` [tokens, hidden_size] (float32, row-major; the input after
 *  post_attention_layernorm) and writes the block's output (before the
 *  residual add) to `y` [tokens, hidden_size]. Fails if the module was
 *  compiled for another layer kind, shape, routing or weight dtypes. Any
 *  threads may run blocks on one model and module at once (the first run
 *  of a layer binds its weights under a lock). */
moec_status_t moec_module_run_mlp(moec_module_t *module, moec_model_t *model,
                                  int64_t layer, const float *x, int64_t tokens,
                                  float *y);
/** Runs the block as moec_module_run_mlp does, then `repeats` (at least 1)
 *  more times on the same x, and writes the mean seconds of those runs to
 *  `seconds_per_run` and the last run's output to `y`. A GPU module keeps x
 *  and y in device memory across the repeats and waits for each run's
 *  kernels: the time is the block's latency on the GPU without copies to or
 *  from the host, as a framework that keeps activations there sees it. */
moec_status_t moec_module_time_mlp(moec_module_t *module, moec_model_t *model,
                                   int64_t layer, const float *x,
                                   int64_t tokens, float *y, int64_t repeats,
                                   double *seconds_per_run);

#ifdef __cplusplus
}
#endif

#endif /* MOEC_RUNTIME_H */
