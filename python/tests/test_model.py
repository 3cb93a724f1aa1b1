"""moec.Model against the float64 reference and against the CLI."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import moec
import reference as R
from checks import assert_close_rows
from conftest import moe_run


def prompt(config: dict, n: int, seed: int = 0) -> list[int]:
    return np.random.default_rng(seed).integers(0, config["vocab_size"], n).tolist()


@pytest.mark.parametrize("tokens", [1, 7, 19])
def test_logits_match_the_reference(compiled, tokens):
    ids = prompt(compiled.config, tokens)
    logits = compiled.load().logits(ids)
    assert logits.shape == (tokens, compiled.config["vocab_size"])
    assert logits.dtype == np.float32
    assert_close_rows(logits, R.model_forward(compiled.weights, compiled.config, ids))


def test_greedy_generation_matches_the_reference(compiled):
    ids = prompt(compiled.config, 5, seed=1)
    tokens = list(compiled.load().generate(ids, max_new_tokens=6))
    expected, margins = R.greedy_generate(compiled.weights, compiled.config, ids, 6)
    # A step whose top two logits tie within rounding may go either way;
    # the tokens up to the first such step must agree.
    close = [i for i, m in enumerate(margins) if m < 1e-4]
    agree = close[0] if close else len(expected)
    assert tokens[:agree] == expected[:agree]
    assert len(tokens) == len(expected) or close


def test_same_numbers_as_the_cli(deepseek, tmp_path):
    ids = prompt(deepseek.config, 9, seed=2)
    out = tmp_path / "cli.npy"
    proc = moe_run("logits", "--model", deepseek.path, "--module", deepseek.module,
                   "--prompt-ids", ",".join(map(str, ids)), "--output", out)
    assert proc.returncode == 0, proc.stderr
    model = deepseek.load()
    np.testing.assert_array_equal(model.logits(ids), np.load(out))

    proc = moe_run("generate", "--model", deepseek.path, "--module", deepseek.module,
                   "--prompt-ids", ",".join(map(str, ids)), "--max-new-tokens", 8,
                   "--temperature", 0.8, "--top-p", 0.9, "--seed", 7)
    assert proc.returncode == 0, proc.stderr
    cli = [int(t) for t in proc.stdout.split()]
    assert list(model.generate(ids, 8, temperature=0.8, top_p=0.9, seed=7)) == cli


def test_text_generation_is_the_cli_s(deepseek):
    text = "Hello, world"
    proc = moe_run("generate", "--model", deepseek.path, "--module", deepseek.module,
                   "--prompt", text, "--max-new-tokens", 6)
    assert proc.returncode == 0, proc.stderr
    ids_line, cli_text = proc.stdout.split("\n", 1)
    model = deepseek.load()
    assert list(model.generate(text, 6)) == [int(t) for t in ids_line.split()]
    assert "".join(model.generate_text(text, 6)) == cli_text.rstrip("\n")


def test_generation_streams(deepseek):
    """Tokens come one step at a time: the session advances as the iterator
    is consumed, and leaving the loop stops generation."""
    model = deepseek.load()
    ids = prompt(deepseek.config, 4, seed=3)
    session = model.session(32)
    stream = model.generate(ids, 10, session=session, stop_ids=[])
    assert session.position == 0
    first = next(stream)
    assert session.position == len(ids)
    second = next(stream)
    assert session.position == len(ids) + 1
    assert [first, second] == list(model.generate(ids, 2, stop_ids=[]))


def test_sessions_prefill_and_decode_as_one_call(deepseek):
    model = deepseek.load()
    ids = prompt(deepseek.config, 6, seed=4)
    whole = model.logits(ids)
    session = model.session(len(ids))
    assert session.cache_bytes_per_token > 0
    rows = [session.prefill(ids[:4])] + [session.decode(t) for t in ids[4:]]
    assert session.position == len(ids)
    assert_close_rows(np.stack(rows), whole[[3, 4, 5]])
    session.reset()
    assert session.position == 0
    assert_close_rows(session.prefill(ids)[None], rows[-1][None])


def test_threads_give_the_same_numbers(deepseek):
    """Sessions on one model from several Python threads at once (the GIL is
    released while compiled code runs) give what they give alone."""
    model = deepseek.load(threads=1)
    prompts = [prompt(deepseek.config, 3 + 4 * i, seed=10 + i) for i in range(4)]
    alone = [model.logits(p) for p in prompts]
    together: list = [None] * len(prompts)

    def run(i):
        together[i] = model.logits(prompts[i])
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layer", [0, 1])
def test_layer_matches_the_reference(deepseek, layer):
    model = deepseek.load()
    x = np.random.default_rng(layer).standard_normal(
        (13, deepseek.config["hidden_size"])).astype(np.float32)
    kept = x.copy()
    y = model.layer(layer, x)
    np.testing.assert_array_equal(x, kept)
    assert y.shape == x.shape and y.dtype == np.float32
    assert_close_rows(y, R.mlp_block(deepseek.weights, deepseek.config, layer,
                                     x.astype(np.float64)))
    # Other dtypes and layouts are converted, not refused.
    np.testing.assert_array_equal(model.layer(layer, np.asfortranarray(x)), y)


def test_model_facts(deepseek):
    model = deepseek.load()
    c = deepseek.config
    assert (model.vocab_size, model.hidden_size, model.num_layers) == (
        c["vocab_size"], c["hidden_size"], c["num_hidden_layers"])
    assert model.max_positions == c["max_position_embeddings"]
    tokenizer = model.tokenizer
    ids = tokenizer.encode("Hello, world")
    assert tokenizer.decode(ids) == "Hello, world"
    proc = moe_run("tokenize", "--model", deepseek.path, "--prompt", "Hello, world")
    assert proc.returncode == 0, proc.stderr
    assert ids == [int(t) for t in proc.stdout.replace(",", " ").split()]
