"""What a hostile or careless user can hand the tools: damaged checkpoints and
modules, files that are not files, outputs that are devices, absurd sizes.

Every case must end in a clear error and an exit status of 1, never a crash, a
hang or a silent wrong answer, and must leave every file as it was. The tool
wrapper's timeout turns a hang into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import struct
from pathlib import Path

import numpy as np
import pytest

from checks import assert_fails_naming
from safetensors_io import SINGLE_FILE

MODEL = dict(num_hidden_layers=2)


def layer_args(model: Path, tmp_path: Path, x: Path | None = None,
               out: Path | None = None, layer="1"):
    return ["layer", "--model", model, "--layer", layer,
            "--input", x or tmp_path / "x.npy", "--output", out or tmp_path / "y.npy"]


@pytest.fixture
def model(checkpoint, tmp_path):
    """A private copy of a small checkpoint, and an input for layer 1."""
    ckpt = checkpoint(**MODEL)
    copy = tmp_path / "model"
    shutil.copytree(ckpt.path, copy)
    np.save(tmp_path / "x.npy",
            np.ones((3, ckpt.config["hidden_size"]), np.float32))
    return copy


def snapshot(directory: Path) -> dict:
    """Every file under `directory` with its type and bytes, to show that
    nothing changed."""
    state = {}
    for path in sorted(directory.rglob("*")):
        mode = path.lstat().st_mode
        content = (path.read_bytes() if stat.S_ISREG(mode) else
                   os.readlink(path) if stat.S_ISLNK(mode) else None)
        state[str(path)] = (stat.S_IFMT(mode), content)
    return state


def assert_refused(proc, tmp_path: Path, before: dict, *words: str):
    assert proc.returncode == 1, proc.stderr
    assert_fails_naming(proc, *words)
    assert snapshot(tmp_path) == before, "a failed run changed files"


# ------------------------------------------------------------ checkpoints

def rewrite_safetensors(path: Path, edit) -> None:
    """Rewrites `path` as edit(header_dict, json_bytes, data) -> (length, header
    bytes, data) makes it."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header_bytes, data = raw[8:8 + n], raw[8 + n:]
    length, header_bytes, data = edit(json.loads(header_bytes), header_bytes, data)
    path.write_bytes(struct.pack("<Q", length) + header_bytes + data)


@pytest.mark.parametrize("short_by", [1, 2])
def test_header_length_short_by_the_padding(moe_run, model, tmp_path, short_by):
    """The JSON still parses when the length field misses padding spaces, but
    every tensor would start early: all-NaN or plausible garbage."""
    def edit(header, text, data):
        padded = text.rstrip(b" ") + b"   "
        return len(padded) - short_by, padded, data
    rewrite_safetensors(model / SINGLE_FILE, edit)
    before = snapshot(tmp_path)
    assert_refused(moe_run(*layer_args(model, tmp_path)), tmp_path, before,
                   SINGLE_FILE, "trailing bytes, or a wrong header length")


@pytest.mark.parametrize("layout", ["overlap", "hole", "unaligned", "trailing"])
def test_tensors_must_cover_the_data_exactly(moe_run, model, tmp_path, layout):
    def edit(header, text, data):
        names = sorted((k for k in header if k != "__metadata__"),
                       key=lambda k: header[k]["data_offsets"][0])
        first, second = header[names[0]], header[names[1]]
        if layout == "overlap":  # the second tensor moved onto the first
            size = second["data_offsets"][1] - second["data_offsets"][0]
            second["data_offsets"] = [0, size]
        elif layout == "hole":  # the first tensor's bytes moved 4 later
            first["data_offsets"] = [o + 4 for o in first["data_offsets"]]
            data = data + b"\0" * 4
        elif layout == "unaligned":  # every tensor one byte later
            for k in names:
                header[k]["data_offsets"] = [o + 1 for o in header[k]["data_offsets"]]
            data = b"\0" + data
        else:
            data = data + b"\0" * 8
        body = json.dumps(header).encode()
        return len(body), body, data
    rewrite_safetensors(model / SINGLE_FILE, edit)
    before = snapshot(tmp_path)
    assert_refused(moe_run(*layer_args(model, tmp_path)), tmp_path, before, SINGLE_FILE)


def test_tensor_missing_from_the_index(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint(**MODEL, shards=2)
    model = tmp_path / "model"
    shutil.copytree(ckpt.path, model)
    index = json.loads((model / "model.safetensors.index.json").read_text())
    dropped = "model.norm.weight"
    del index["weight_map"][dropped]
    (model / "model.safetensors.index.json").write_text(json.dumps(index))
    np.save(tmp_path / "x.npy", np.ones((3, ckpt.config["hidden_size"]), np.float32))
    before = snapshot(tmp_path)
    assert_refused(moe_run(*layer_args(model, tmp_path)), tmp_path, before,
                   dropped, "is not listed in the weight_map")


def test_sizes_that_would_overflow(moe_run, model, tmp_path):
    config = json.loads((model / "config.json").read_text())
    config["n_shared_experts"] = 2**59 + 1
    (model / "config.json").write_text(json.dumps(config))
    before = snapshot(tmp_path)
    assert_refused(moe_run(*layer_args(model, tmp_path)), tmp_path, before,
                   "n_shared_experts", str(2**59 + 1))


@pytest.mark.parametrize("spelling", [" 1", "+1", "1 ", "0x1", "1e0", ""])
def test_layer_numbers_are_plain_decimals(moe_run, model, tmp_path, spelling):
    before = snapshot(tmp_path)
    proc = moe_run(*layer_args(model, tmp_path, layer=spelling))
    assert proc.returncode == 1, proc.stderr
    assert "layer" in proc.stderr
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------ files that are not files

@pytest.mark.parametrize("victim", ["config.json", SINGLE_FILE, "input", "prompt"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_inputs_that_are_not_regular_files(moe_run, model, tmp_path, victim, kind):
    """A FIFO would block an ordinary open forever; /dev/zero never ends."""
    path = {"config.json": model / "config.json", SINGLE_FILE: model / SINGLE_FILE,
            "input": tmp_path / "x.npy", "prompt": tmp_path / "prompt.txt"}[victim]
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    before = snapshot(tmp_path)
    if victim == "prompt":
        proc = moe_run("generate", "--model", model, "--prompt-file", path,
                       "--max-new-tokens", 1)
    else:
        proc = moe_run(*layer_args(model, tmp_path))
    assert_refused(proc, tmp_path, before, path.name,
                   "FIFO" if kind == "fifo" else "character device")


# ------------------------------------------------------------ outputs

@pytest.mark.parametrize("kind", ["fifo", "directory", "link-to-device", "device"])
def test_outputs_that_are_not_files_are_refused(moe_run, model, tmp_path, kind):
    out = tmp_path / "out"
    if kind == "fifo":
        os.mkfifo(out)
    elif kind == "directory":
        out.mkdir()
    elif kind == "link-to-device":
        out.symlink_to("/dev/null")
    else:
        # A node like /dev/full, where the test may make one (as root).
        try:
            os.mknod(out, stat.S_IFCHR | 0o600, os.makedev(1, 7))
        except PermissionError:
            pytest.skip("making a device node needs root")
    before = snapshot(tmp_path)
    proc = moe_run(*layer_args(model, tmp_path, out=out))
    assert_refused(proc, tmp_path, before, "--output", str(out))


def test_output_through_a_link_replaces_its_target(moe_run, model, tmp_path):
    target = tmp_path / "target.npy"
    target.write_bytes(b"old")
    (tmp_path / "link.npy").symlink_to(target)
    proc = moe_run(*layer_args(model, tmp_path, out=tmp_path / "link.npy"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.npy").is_symlink()
    assert np.load(target).shape == (3, np.load(tmp_path / "x.npy").shape[1])


# ------------------------------------------------------------ modules

@pytest.fixture
def module(moe_compile, model, tmp_path):
    """An ahead-of-time module of layer 1, and the output it computes."""
    path = tmp_path / "layer.so"
    proc = moe_compile("layer", "--model", model, "--layer", 1, "--output", path)
    assert proc.returncode == 0, proc.stderr
    return path


def test_sealed_module_runs(moe_run, model, module, tmp_path):
    proc = moe_run(*layer_args(model, tmp_path), "--module", module)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("damage", ["flip-code-byte", "flip-last-byte", "truncate-1000",
                                    "truncate-half", "cut-seal", "append-byte"])
def test_damaged_modules_are_refused(moe_run, model, module, tmp_path, damage):
    """A flipped byte used to run with different numbers; a truncated file
    crashed dlopen with SIGBUS."""
    raw = bytearray(module.read_bytes())
    if damage == "flip-code-byte":
        raw[len(raw) // 3] ^= 0x01
    elif damage == "flip-last-byte":
        raw[-1] ^= 0x80
    elif damage == "truncate-1000":
        raw = raw[:1000]
    elif damage == "truncate-half":
        raw = raw[:len(raw) // 2]
    elif damage == "cut-seal":  # what an unsealed shared library looks like
        raw = raw[:-48]
    else:
        raw += b"\0"
    module.write_bytes(bytes(raw))
    before = snapshot(tmp_path)
    proc = moe_run(*layer_args(model, tmp_path), "--module", module)
    words = {"flip-code-byte": "is damaged", "flip-last-byte": "is damaged"}
    assert_refused(proc, tmp_path, before, "layer.so",
                   words.get(damage, "not a module written by moe-compile"))


def test_module_that_is_a_fifo(moe_run, model, tmp_path):
    fifo = tmp_path / "layer.so"
    os.mkfifo(fifo)
    before = snapshot(tmp_path)
    proc = moe_run(*layer_args(model, tmp_path), "--module", fifo)
    assert_refused(proc, tmp_path, before, "layer.so", "FIFO")


def test_compile_leaves_nothing_beside_the_output(moe_compile, model, tmp_path):
    """The library is linked elsewhere and renamed into place: no
    `<output>.partial` (which would replace a user's file of that name)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "layer.so.partial").write_bytes(b"the user's")
    proc = moe_compile("layer", "--model", model, "--layer", 1, "--output", out / "layer.so")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["layer.so", "layer.so.partial"]
    assert (out / "layer.so.partial").read_bytes() == b"the user's"
