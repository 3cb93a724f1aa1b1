"""Every failure is a moec.Error subclass naming what is wrong."""
from __future__ import annotations

import numpy as np
import pytest

import moec


def test_missing_checkpoint(deepseek, tmp_path):
    with pytest.raises(moec.RunError, match="config.json"):
        moec.Model.load(tmp_path / "nowhere", deepseek.module)


def test_module_of_another_model(deepseek, tmp_path):
    from make_checkpoint import make_checkpoint
    other = tmp_path / "other"
    make_checkpoint(other, hidden_size=32)
    with pytest.raises(moec.RunError, match="compiled for another"):
        moec.Model.load(other, deepseek.module)


def test_damaged_module(deepseek, tmp_path):
    damaged = tmp_path / "damaged.so"
    damaged.write_bytes(open(deepseek.module, "rb").read()[:4096])
    with pytest.raises(moec.RunError, match="damaged.so"):
        moec.Model.load(deepseek.path, damaged)


def test_bad_ids(deepseek):
    model = deepseek.load()
    with pytest.raises(moec.RunError, match="vocab_size"):
        model.logits([deepseek.config["vocab_size"]])
    with pytest.raises(moec.InputError):
        model.logits([])
    with pytest.raises(moec.InputError):
        model.logits([-1])
    with pytest.raises(moec.InputError):
        model.logits([1.5])
    with pytest.raises(ValueError):  # InputError is also a ValueError
        model.logits(np.zeros((2, 2), dtype=np.int32))


def test_full_session(deepseek):
    session = deepseek.load().session(3)
    session.prefill([1, 2, 3])
    with pytest.raises(moec.RunError, match="capacity"):
        session.decode(4)
    assert session.position == 3


def test_bad_arguments(deepseek):
    model = deepseek.load()
    with pytest.raises(moec.InputError, match="layer"):
        model.layer(99, np.zeros((1, model.hidden_size), np.float32))
    with pytest.raises(moec.InputError, match="shape"):
        model.layer(0, np.zeros((1, model.hidden_size + 1), np.float32))
    with pytest.raises(moec.RunError, match="top_p"):
        list(model.generate([1], 2, top_p=0))
    with pytest.raises(moec.InputError, match="threads"):
        moec.Model.load(deepseek.path, deepseek.module, threads=-1)
    with pytest.raises(moec.InputError, match="target"):
        moec.Model.load(deepseek.path, deepseek.module, target="tpu")
    with pytest.raises(moec.RunError, match="CUDA"):
        moec.Model.load(deepseek.path, deepseek.module, target="cuda")


def test_compile_errors(tmp_path):
    with pytest.raises(moec.CompileError, match="config.json"):
        moec.compile(tmp_path, tmp_path / "m.so")
    with pytest.raises(moec.InputError, match="kv_cache"):
        moec.compile(tmp_path, kv_cache="f8")
    with pytest.raises(moec.InputError, match="target"):
        moec.compile(tmp_path, target="tpu")
    # The GPU target compiles (moe-compile --target cuda) and says what is
    # wrong with the input.
    with pytest.raises(moec.CompileError, match="config.json"):
        moec.compile(tmp_path, target="cuda")


def test_missing_tokenizer(tmp_path):
    with pytest.raises(moec.RunError, match="tokenizer.json"):
        moec.Tokenizer(tmp_path)


def test_every_error_is_a_moec_error():
    for error in (moec.CompileError, moec.RunError, moec.InputError,
                  moec.ToolNotFoundError):
        assert issubclass(error, moec.Error)
