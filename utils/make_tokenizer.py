"""Writes small byte-level BPE tokenizer.json files in DeepSeek's layout.

The pre-tokenizers are those DeepSeek's released tokenizers use, exactly:
``deepseek-llm`` (DeepSeek LLM and DeepSeekMoE: newlines, letters,
punctuation, trailing spaces and CJK runs split apart, then single digits)
and ``deepseek-v3`` (DeepSeek-V2.5/V3: runs of up to three digits, CJK and
kana runs, then a GPT-4-style word pattern); both end with ByteLevel without
its own regex. The BPE merges are learned from a small built-in corpus (or
one given), so the vocabulary is small but real: a random checkpoint with
such a tokenizer takes and prints text.

Use as a module::

    ids = make_tokenizer(out_dir / "tokenizer.json", style="deepseek-llm")

or from the shell::

    python3 make_tokenizer.py tokenizer.json --style deepseek-v3 --merges 500
"""

from __future__ import annotations

import argparse
import collections
import json
import re
from pathlib import Path

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"

# DeepSeek-LLM's letter class: cased letters, listed by code point (several
# of them, such as U+1F7D and U+2126, change under Unicode normalisation, so
# they are written as numbers rather than pasted as characters).
_LLM_LETTER_RANGES = [
    (0x41, 0x5A), (0x61, 0x7A), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6),
    (0xF8, 0x1BA), (0x1BC, 0x1BF), (0x1C4, 0x293), (0x295, 0x2AF), (0x370, 0x373),
    (0x376, 0x377), (0x37B, 0x37D), (0x37F, 0x37F), (0x386, 0x386), (0x388, 0x38A),
    (0x38C, 0x38C), (0x38E, 0x3A1), (0x3A3, 0x3F5), (0x3F7, 0x481), (0x48A, 0x52F),
    (0x531, 0x556), (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD),
    (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B), (0x1D6B, 0x1D77),
    (0x1D79, 0x1D9A), (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45),
    (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B),
    (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC),
    (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3),
    (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC),
    (0x2102, 0x2102), (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115),
    (0x2119, 0x211D), (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128),
    (0x212A, 0x212D), (0x212F, 0x2134), (0x2139, 0x2139), (0x213C, 0x213F),
    (0x2145, 0x2149), (0x214E, 0x214E), (0x2183, 0x2184), (0x2C00, 0x2C7B),
    (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3), (0xA640, 0xA66D),
    (0xA680, 0xA69B), (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E),
    (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A),
    (0xFF41, 0xFF5A), (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB),
    (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943),
]


def _char_class(ranges) -> str:
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


def _split(pattern: str) -> dict:
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated",
            "invert": False}


_BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
               "use_regex": False}

PRE_TOKENIZERS = {
    "deepseek-llm": {"type": "Sequence", "pretokenizers": [
        _split("[\r\n]"),
        _split("\\s?[" + _char_class(_LLM_LETTER_RANGES) + "]+"),
        _split("\\s?[!-/:-~！-／：-～‘-‟　-。]+"),
        _split("\\s+$"),
        _split("[一-龥ࠀ-一가-퟿]+"),
        {"type": "Digits", "individual_digits": True},
        _BYTE_LEVEL]},
    "deepseek-v3": {"type": "Sequence", "pretokenizers": [
        _split("\\p{N}{1,3}"),
        _split("[一-龥぀-ゟ゠-ヿ]+"),
        _split("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|"
               "[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|"
               "\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
        _BYTE_LEVEL]},
}

CORPUS = """\
DeepSeekMoE is a mixture-of-experts language model: fine-grained routed experts
plus always-on shared experts. The router scores every expert for every token,
keeps the top k, and the shared experts see each token. A compiler turns the
model into fused kernels: gate and up projections together, the routing weight
in the down projection's epilogue, attention over a cache of keys and values.
Prefill processes the prompt; decoding then adds one token at a time.
In 2024, 16 billion parameters with 2.8 billion active per token were enough.
深度求索的混合专家模型，每个词元只激活一部分专家。
こんにちは、世界。トークン化のテストです。
안녕하세요 세계. Ελληνικά γράμματα. Ünïcödé ❤️ 😀 👍🏽 🇺🇸
def forward(x):\n    return experts(x) + shared(x)  # 1 + 1 = 2
"""


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable bytes stand for themselves, the others for
    the code points 256, 257, ... in byte order."""
    printable = (list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD))
                 + list(range(0xAE, 0x100)))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def train_bpe(texts: list[str], merges: int):
    """Byte-level BPE: the 256 byte characters, then `merges` merges of the
    most frequent adjacent pair (ties to the first seen), learned on the
    words of `texts`. Returns (vocab token -> id, merges as "a b")."""
    byte_char = _bytes_to_unicode()
    vocab = {byte_char[b]: i for i, b in enumerate(sorted(byte_char,
                                                          key=lambda b: ord(byte_char[b])))}
    words = collections.Counter()
    for text in texts:
        for word in re.findall(r"\s?\w+|\s?[^\w\s]+|\s+", text):
            words[tuple(byte_char[b] for b in word.encode())] += 1
    learned = []
    for _ in range(merges):
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(pairs, key=lambda p: pairs[p])
        merged = best[0] + best[1]
        if merged in vocab:
            break
        vocab[merged] = len(vocab)
        learned.append(f"{best[0]} {best[1]}")
        next_words = collections.Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            next_words[tuple(out)] += count
        words = next_words
    return vocab, learned


def make_tokenizer(path: str | Path, style: str = "deepseek-llm", merges: int = 300,
                   corpus: str = CORPUS) -> dict:
    """Writes tokenizer.json to `path`. Returns {"vocab_size", "bos_token_id",
    "eos_token_id"} for the model's config."""
    if style not in PRE_TOKENIZERS:
        raise ValueError(f"style must be one of {sorted(PRE_TOKENIZERS)}, got {style!r}")
    vocab, learned = train_bpe(corpus.splitlines(), merges)
    bos, eos = len(vocab), len(vocab) + 1
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": True, "special": True}
             for i, c in ((bos, BOS), (eos, EOS))]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": []},
        "pre_tokenizer": PRE_TOKENIZERS[style],
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": BOS, "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": BOS, "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {BOS: {"id": BOS, "ids": [bos], "tokens": [BOS]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": learned},
    }
    Path(path).write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1) + "\n")
    return {"vocab_size": eos + 1, "bos_token_id": bos, "eos_token_id": eos}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the tokenizer.json to write")
    parser.add_argument("--style", choices=sorted(PRE_TOKENIZERS), default="deepseek-llm")
    parser.add_argument("--merges", type=int, default=300)
    args = parser.parse_args(argv)
    print(json.dumps(make_tokenizer(args.path, args.style, args.merges)))


if __name__ == "__main__":
    main()
