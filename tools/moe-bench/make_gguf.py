"""Writes a `deepseek` checkpoint as a GGUF for the llama.cpp baseline of
`moe-bench model`, with llama.cpp's own converter (convert_hf_to_gguf.py).

The converter needs a tokenizer it recognises; random checkpoints have none
(or moec's small one). When the checkpoint has DeepSeek-LLM's vocabulary size
(102400), this script rebuilds DeepSeek-LLM's real tokenizer.json from the
vocabulary llama.cpp ships for its own tests (models/ggml-vocab-deepseek-
llm.gguf: tokens, types and merges) and DeepSeek's pre-tokenizer, in a
staging directory that links the checkpoint's files; the converter then
identifies it as "deepseek-llm" by its own check of the encoding.

    python make_gguf.py --model DIR --llama-cpp SRC/vendor/llama.cpp \
        --outtype bf16 --output model-bf16.gguf

SRC is the unpacked source of llama-cpp-python (`pip download --no-binary
:all: llama-cpp-python`). Needs torch, transformers and numpy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "utils"))
from make_tokenizer import PRE_TOKENIZERS  # noqa: E402


def read_vocab(llama_cpp: Path):
    sys.path.insert(0, str(llama_cpp / "gguf-py"))
    from gguf import GGUFReader
    reader = GGUFReader(str(llama_cpp / "models" / "ggml-vocab-deepseek-llm.gguf"))
    fields = reader.fields

    def strings(name):
        return [bytes(fields[name].parts[i]).decode() for i in fields[name].data]

    def integers(name):
        return [int(fields[name].parts[i][0]) for i in fields[name].data]

    tokens = strings("tokenizer.ggml.tokens")
    types = integers("tokenizer.ggml.token_type")
    merges = strings("tokenizer.ggml.merges")
    bos = integers("tokenizer.ggml.bos_token_id")[0]
    eos = integers("tokenizer.ggml.eos_token_id")[0]
    return tokens, types, merges, bos, eos


def write_tokenizer(directory: Path, llama_cpp: Path) -> None:
    tokens, types, merges, bos, eos = read_vocab(llama_cpp)
    normal, added = {}, []
    for i, (token, kind) in enumerate(zip(tokens, types)):
        if kind in (3, 4):  # CONTROL, USER_DEFINED
            added.append({"id": i, "content": token, "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": kind == 4,
                          "special": kind == 3})
        else:
            normal[token] = i
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": []},
        "pre_tokenizer": PRE_TOKENIZERS["deepseek-llm"],
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": tokens[bos], "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": tokens[bos], "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": tokens[bos], "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {tokens[bos]: {"id": tokens[bos], "ids": [bos],
                                             "tokens": [tokens[bos]]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "vocab": normal,
                  "merges": merges},
    }
    (directory / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    (directory / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": tokens[bos],
        "eos_token": tokens[eos], "model_max_length": 4096}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--llama-cpp", type=Path, required=True)
    parser.add_argument("--outtype", choices=["bf16", "f32"], default="bf16")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    config = json.loads((args.model / "config.json").read_text())
    if config.get("vocab_size") != 102400:
        sys.exit("make_gguf: the checkpoint needs DeepSeek-LLM's vocab_size of 102400")
    with tempfile.TemporaryDirectory() as staging:
        staging = Path(staging)
        for f in args.model.iterdir():
            if f.suffix in (".json", ".safetensors") and not f.name.startswith("tokenizer"):
                (staging / f.name).symlink_to(f.resolve())
        write_tokenizer(staging, args.llama_cpp)
        subprocess.run([sys.executable, str(args.llama_cpp / "convert_hf_to_gguf.py"),
                        str(staging), "--outtype", args.outtype, "--outfile",
                        str(args.output)], check=True)


if __name__ == "__main__":
    main()
