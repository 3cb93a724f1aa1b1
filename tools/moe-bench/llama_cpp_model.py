"""llama.cpp baseline for `moe-bench model`: the same checkpoint as a GGUF
(tools/moe-bench/make_gguf.py) run through llama-cpp-python.

Prints JSON lines like torch_model.py: {"what": "prefill", "tokens": T,
"seconds": s} and {"what": "decode", "context": c, "seconds_per_token": s},
or {"error": ...} when llama_cpp is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--model", help="unused; the checkpoint the GGUF came from")
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--contexts", default="16,2000")
    parser.add_argument("--decode-steps", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    try:
        import numpy as np
        from llama_cpp import Llama
    except ImportError as error:
        print(json.dumps({"error": f"llama_cpp is not installed: {error}"}))
        return
    contexts = [int(c) for c in args.contexts.split(",")]
    n_ctx = max([args.prompt_tokens] + [c + args.decode_steps + 2 for c in contexts])
    llm = Llama(model_path=args.gguf, n_ctx=n_ctx, n_batch=512, n_ubatch=512,
                n_threads=args.threads, n_threads_batch=args.threads, verbose=False)
    vocab = llm.n_vocab()
    rng = random.Random(0)

    def ids(n):
        return [rng.randrange(vocab) for _ in range(n)]

    times = []
    for _ in range(args.repeats + 1):
        llm.reset()
        prompt = ids(args.prompt_tokens)
        t0 = time.perf_counter()
        llm.eval(prompt)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"what": "prefill", "tokens": args.prompt_tokens,
                      "seconds": statistics.median(times[1:])}), flush=True)

    for context in contexts:
        llm.reset()
        llm.eval(ids(context))
        steps = []
        for _ in range(args.decode_steps + 1):
            token = int(np.ctypeslib.as_array(llm._ctx.get_logits(),
                                              shape=(vocab,)).argmax())
            t0 = time.perf_counter()
            llm.eval([token])
            steps.append(time.perf_counter() - t0)
        print(json.dumps({"what": "decode", "context": context,
                          "seconds_per_token": statistics.median(steps[1:])}), flush=True)


if __name__ == "__main__":
    main()
