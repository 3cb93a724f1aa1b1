"""moec's tokenizer.json support against Hugging Face `tokenizers` itself.

    moe-run tokenize --model DIR --prompt-file F [--no-special-tokens]

prints the ids of the text of F under DIR/tokenizer.json; they must equal
what `tokenizers` (from PyPI) gives on the same file, for tokenizers laid out
as DeepSeek's (both pre-tokenizer families) and text of every kind.
"""

from __future__ import annotations

import pytest

from checks import assert_fails_naming

tokenizers = pytest.importorskip("tokenizers", reason="pip install tokenizers")

TEXTS = {
    "ascii": "The quick brown fox jumps over the lazy dog.",
    "punctuation": "Hello, world!!! (really?) -- yes: #1 @user $5.00 100% a&b {x}[y]",
    "contractions": "I'm sure they'll say it's fine, don't you think? We've seen it.",
    "cjk": "深度求索的混合专家模型，每个词元只激活一部分专家。",
    "japanese": "こんにちは、世界。カタカナとひらがなのテスト。",
    "korean": "안녕하세요 세계, 한국어 텍스트입니다.",
    "emoji": "Emoji: 😀👍🏽🇺🇸 and ❤️ and 👨‍👩‍👧‍👦 family",
    "digits": "Numbers 12345 and 3.14159 and 1,000,000 and 0007 and ١٢٣ and ⅷ",
    "whitespace-runs": "a  b   c    d\t\te\n\nf\r\ng     ",
    "leading-and-trailing": "   leading and trailing spaces   ",
    "newlines-only": "\n\n\n",
    "single-space": " ",
    "unicode-spaces": "no\u00a0break and\u3000ideographic and\u2003em space",
    "letterlike": "Ω\u2126 K\u212a ώ\u1f7d ΐ\u1fd3 ι\u1fbe ℂℍℕ",
    "combining": "e\u0301 cafe\u0301 naïve résumé Ångström",
    "greek-cyrillic": "Ελληνικά γράμματα и русский текст",
    "code": "def forward(x):\n    return experts(x) + shared(x)  # 1 + 1 = 2\n",
    "special-token-inside": "before<｜end▁of▁sentence｜>after <｜begin▁of▁sentence｜> x",
    "mixed": "In 2024, 深度求索 released DeepSeek-V2 😀 (236B params); 速度很快!",
    "long-word": "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
}

STYLES = ["deepseek-llm", "deepseek-v3"]


@pytest.fixture(scope="module", params=STYLES)
def model(request, tmp_path_factory):
    from make_checkpoint import make_checkpoint
    path = tmp_path_factory.mktemp(request.param)
    make_checkpoint(path, tokenizer=request.param, num_hidden_layers=1)
    return path


def moec_ids(moe_run, model, text: str, tmp_path, *flags) -> list[int]:
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes(text.encode())
    proc = moe_run("tokenize", "--model", model, "--prompt-file", prompt, *flags)
    assert proc.returncode == 0, proc.stderr
    return [int(t) for t in proc.stdout.split()]


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_encoding_equals_tokenizers(moe_run, model, tmp_path, text):
    reference = tokenizers.Tokenizer.from_file(str(model / "tokenizer.json"))
    assert moec_ids(moe_run, model, text, tmp_path) == reference.encode(text).ids
    assert moec_ids(moe_run, model, text, tmp_path, "--no-special-tokens") == \
        reference.encode(text, add_special_tokens=False).ids


def test_generated_text_is_decoded_like_tokenizers(moe_run, model):
    reference = tokenizers.Tokenizer.from_file(str(model / "tokenizer.json"))
    proc = moe_run("generate", "--model", model, "--prompt", "Hello, 世界! 123",
                   "--max-new-tokens", 24)
    assert proc.returncode == 0, proc.stderr
    ids_line, text = proc.stdout.split("\n", 1)
    ids = [int(t) for t in ids_line.split()]
    assert text == reference.decode(ids, skip_special_tokens=True) + "\n"


def test_text_prompt_needs_a_tokenizer(moe_run, checkpoint):
    proc = moe_run("generate", "--model", checkpoint().path, "--prompt", "hello")
    assert_fails_naming(proc, "tokenizer.json", "--prompt-ids")


def test_rejects_invalid_utf8(moe_run, model, tmp_path):
    prompt = tmp_path / "bad.txt"
    prompt.write_bytes(b"valid then \xff\xfe invalid")
    proc = moe_run("tokenize", "--model", model, "--prompt-file", prompt)
    assert_fails_naming(proc, "not valid UTF-8")


def test_unsupported_components_are_named(moe_run, model, tmp_path):
    import json
    import shutil
    broken = tmp_path / "model"
    shutil.copytree(model, broken)
    tokenizer = json.loads((broken / "tokenizer.json").read_text())
    tokenizer["normalizer"] = {"type": "NFKC"}
    (broken / "tokenizer.json").write_text(json.dumps(tokenizer))
    proc = moe_run("tokenize", "--model", broken, "--prompt", "x")
    assert_fails_naming(proc, "tokenizer.json", "normalizer", "NFKC")
