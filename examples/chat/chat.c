/*===- chat.c - a chat-style generator on the moec runtime ----------------===*
 *
 * Loads a checkpoint and the module moe-compile wrote for it, then answers
 * each line of standard input (or one --prompt), streaming the text as the
 * tokens come. The conversation stays in one session, so each turn attends
 * to the earlier ones through the KV cache instead of recomputing them.
 *
 *   moec-chat MODEL_DIR MODULE.so [--prompt TEXT] [--max-new-tokens N]
 *             [--temperature T] [--seed S] [--threads N] [--context N]
 *
 * MODEL_DIR needs a tokenizer.json.
 *===----------------------------------------------------------------------===*/
#include <moec/runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Streams one turn's text: decodes the turn's tokens so far and prints what
 * was not printed yet, holding back a character whose bytes have not all
 * arrived (the decoder shows it as U+FFFD). */
typedef struct {
  const moec_tokenizer_t *tokenizer;
  int32_t *tokens;
  int64_t count, capacity;
  int64_t printed; /* bytes of the turn's text already printed */
  char *text;
  int64_t text_capacity;
  moec_status_t error;
} stream_t;

static int emit(stream_t *s, int final) {
  int64_t length = 0;
  moec_status_t status = moec_tokenizer_decode(
      s->tokenizer, s->tokens, s->count, 1, s->text, s->text_capacity, &length);
  if (!status && length + 1 > s->text_capacity) {
    char *grown = realloc(s->text, (size_t)(2 * length + 1));
    if (!grown)
      return 1;
    s->text = grown;
    s->text_capacity = 2 * length + 1;
    status = moec_tokenizer_decode(s->tokenizer, s->tokens, s->count, 1,
                                   s->text, s->text_capacity, &length);
  }
  if (status) {
    s->error = status;
    return 1;
  }
  int64_t ready = length;
  static const char replacement[] = "\xEF\xBF\xBD";
  if (!final && ready >= 3 && memcmp(s->text + ready - 3, replacement, 3) == 0)
    ready -= 3;
  if (ready > s->printed) {
    fwrite(s->text + s->printed, 1, (size_t)(ready - s->printed), stdout);
    fflush(stdout);
    s->printed = ready;
  }
  return 0;
}

static int on_token(int32_t token, const float *logits, int64_t vocab,
                    void *user) {
  (void)logits;
  (void)vocab;
  stream_t *s = user;
  if (s->count == s->capacity)
    return 1;
  s->tokens[s->count++] = token;
  return emit(s, 0);
}

static int report(moec_status_t status) {
  if (!status)
    return 0;
  fprintf(stderr, "moec-chat: %s\n", moec_status_message(status));
  moec_status_free(status);
  return 1;
}

static int usage(void) {
  fprintf(stderr, "usage: moec-chat MODEL_DIR MODULE.so [--prompt TEXT] "
                  "[--max-new-tokens N] [--temperature T] [--seed S] "
                  "[--threads N] [--context N]\n");
  return 2;
}

/* The prompt ids of one turn: DeepSeek's chat format, after `carry` (the
 * last token of the previous answer, which is not in the cache yet). */
static moec_status_t encode_turn(const moec_tokenizer_t *tokenizer,
                                 const char *line, int first, int32_t carry,
                                 int32_t **ids, int64_t *count) {
  size_t size = strlen(line) + 32;
  char *text = malloc(size);
  if (!text)
    return NULL;
  snprintf(text, size, "%sUser: %s\n\nAssistant:", first ? "" : "\n\n", line);
  int64_t needed = 0;
  moec_status_t status =
      moec_tokenizer_encode(tokenizer, text, -1, first, NULL, 0, &needed);
  if (!status && (*ids = malloc((size_t)(needed + 1) * sizeof(int32_t)))) {
    int offset = carry >= 0;
    if (offset)
      (*ids)[0] = carry;
    status = moec_tokenizer_encode(tokenizer, text, -1, first, *ids + offset,
                                   needed, &needed);
    *count = needed + offset;
  }
  free(text);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return usage();
  const char *model_dir = argv[1], *module_path = argv[2], *prompt = NULL;
  moec_runtime_options_t runtime_options;
  moec_runtime_options_init(&runtime_options);
  moec_generate_options_t options;
  moec_generate_options_init(&options);
  options.max_new_tokens = 64;
  int64_t context = 4096;
  for (int i = 3; i < argc; ++i) {
    if (i + 1 == argc)
      return usage();
    const char *flag = argv[i], *value = argv[++i];
    if (!strcmp(flag, "--prompt"))
      prompt = value;
    else if (!strcmp(flag, "--max-new-tokens"))
      options.max_new_tokens = atoll(value);
    else if (!strcmp(flag, "--temperature"))
      options.temperature = atof(value);
    else if (!strcmp(flag, "--seed"))
      options.seed = strtoull(value, NULL, 10);
    else if (!strcmp(flag, "--threads"))
      runtime_options.threads = atoi(value);
    else if (!strcmp(flag, "--context"))
      context = atoll(value);
    else
      return usage();
  }

  moec_runtime_t *runtime = NULL;
  moec_compiled_model_t *model = NULL;
  moec_tokenizer_t *tokenizer = NULL;
  moec_session_t *session = NULL;
  if (report(moec_runtime_create(&runtime_options, &runtime)) ||
      report(
          moec_compiled_model_load(runtime, model_dir, module_path, &model)) ||
      report(moec_tokenizer_load(model_dir, &tokenizer)))
    return 1;
  moec_runtime_release(runtime);
  if (context > moec_compiled_model_max_positions(model))
    context = moec_compiled_model_max_positions(model);
  if (report(moec_session_create(model, context, &session)))
    return 1;

  stream_t stream = {tokenizer, NULL, 0, options.max_new_tokens,
                     0,         NULL, 0, NULL};
  stream.tokens =
      malloc((size_t)(options.max_new_tokens + 1) * sizeof(int32_t));
  int status = 0, first = 1;
  if (!stream.tokens) {
    fprintf(stderr, "moec-chat: out of memory\n");
    status = 1;
  }
  int32_t carry = -1;
  char line[4096];
  while (!status) {
    const char *turn = prompt;
    if (!prompt) {
      if (!fgets(line, sizeof line, stdin))
        break;
      line[strcspn(line, "\n")] = '\0';
      turn = line;
    }
    int32_t *ids = NULL;
    int64_t count = 0;
    status = report(encode_turn(tokenizer, turn, first, carry, &ids, &count));
    if (!status && !ids) {
      fprintf(stderr, "moec-chat: out of memory\n");
      status = 1;
    }
    if (!status) {
      stream.count = stream.printed = 0;
      int64_t produced = 0;
      status = report(moec_generate(session, ids, count, &options, on_token,
                                    &stream, stream.tokens, &produced));
      if (!status && (status = report(stream.error)) == 0)
        emit(&stream, 1);
      putchar('\n');
      carry = produced ? stream.tokens[produced - 1] : -1;
    }
    free(ids);
    first = 0;
    if (prompt)
      break;
  }
  free(stream.tokens);
  free(stream.text);
  moec_session_release(session);
  moec_tokenizer_release(tokenizer);
  moec_compiled_model_release(model);
  return status;
}
