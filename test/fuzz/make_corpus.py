#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (test/fuzz/corpus/*) from the test
suite: small random checkpoints from utils/make_checkpoint.py in the shapes
the tests use, .npy files as NumPy writes them, and every split of the lit
tests' .mlir files. Run it again after changing what the tests cover; it
replaces the files it wrote before and keeps `regression-*` files (inputs
that once crashed a target, added by hand).

    python3 test/fuzz/make_corpus.py
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = HERE / "corpus"

# Tiny models (a few KiB each) spanning what the loader distinguishes: model
# types and config spellings, dense and MoE layers, scoring and top-k
# methods, dtypes, tied embeddings, sharding.
SMALL = ["--hidden-size", "8", "--intermediate-size", "12",
         "--moe-intermediate-size", "4", "--n-routed-experts", "4",
         "--num-experts-per-tok", "2", "--num-hidden-layers", "2",
         "--num-attention-heads", "2", "--num-key-value-heads", "2",
         "--vocab-size", "16", "--max-position-embeddings", "64"]
CHECKPOINTS = {
    "deepseek-f32": ["--dtype", "f32"],
    "deepseek-bf16": ["--dtype", "bf16"],
    "deepseek-f16-tied": ["--dtype", "f16", "--tie-word-embeddings"],
    "deepseek-sharded": ["--shards", "2"],
    "deepseek-transformers": ["--config-style", "transformers"],
    "deepseek-no-shared": ["--n-shared-experts", "none",
                           "--first-k-dense-replace", "0"],
    "deepseek-dense": ["--n-routed-experts", "none"],
    "deepseek-gqa": ["--num-key-value-heads", "1", "--rope-scaling",
                     '{"type": "linear", "factor": 2.0}'],
    "v2-group-limited": ["--model-type", "deepseek_v2", "--topk-method",
                         "group_limited_greedy", "--n-group", "2",
                         "--topk-group", "1", "--q-lora-rank", "none",
                         "--kv-lora-rank", "4", "--qk-nope-head-dim", "4",
                         "--qk-rope-head-dim", "2", "--v-head-dim", "4"],
    "v3-noaux": ["--model-type", "deepseek_v3", "--scoring-func", "sigmoid",
                 "--topk-method", "noaux_tc", "--n-group", "2",
                 "--topk-group", "1", "--q-lora-rank", "4",
                 "--kv-lora-rank", "4", "--qk-nope-head-dim", "4",
                 "--qk-rope-head-dim", "2", "--v-head-dim", "4"],
}


def pack_directory(directory: Path) -> bytes:
    """The checkpoint fuzzer's input format: "==> NAME <==\\n" + bytes."""
    out = bytearray()
    for path in sorted(directory.iterdir()):
        if out:
            out += b"\n"
        out += b"==> " + path.name.encode() + b" <==\n" + path.read_bytes()
    return bytes(out)


def write_checkpoints(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in CHECKPOINTS.items():
            out = Path(tmp) / name
            subprocess.run([sys.executable, str(ROOT / "utils/make_checkpoint.py"),
                            *SMALL, *extra, str(out)], check=True,
                           stdout=subprocess.DEVNULL)
            (target / name).write_bytes(pack_directory(out))


def npy_bytes(array: np.ndarray, version=(1, 0)) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


def write_npy(target: Path) -> None:
    rng = np.random.default_rng(0)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    seeds = {
        "t1": npy_bytes(f32(1, 8)),
        "t3": npy_bytes(f32(3, 5)),
        "empty": npy_bytes(f32(0, 8)),
        "scalar": npy_bytes(np.float32(1.5).reshape(())),
        "vector": npy_bytes(f32(7)),
        "v2": npy_bytes(f32(2, 4), version=(2, 0)),
        "v3": npy_bytes(f32(2, 4), version=(3, 0)),
        "fortran": npy_bytes(np.asfortranarray(f32(3, 2))),
        "float64": npy_bytes(rng.standard_normal((2, 2))),
        "big-endian": npy_bytes(f32(2, 2).astype(">f4")),
        "int32": npy_bytes(np.arange(6, dtype=np.int32).reshape(2, 3)),
    }
    for name, data in seeds.items():
        (target / f"{name}.npy").write_bytes(data)


def write_ir(target: Path) -> None:
    tests = sorted((ROOT / "test").glob("**/*.mlir"))
    for test in tests:
        text = test.read_text()
        for i, chunk in enumerate(re.split(r"^// -----\s*$", text, flags=re.M)):
            lines = [l for l in chunk.splitlines()
                     if not l.lstrip().startswith("//")]
            body = "\n".join(lines).strip()
            if body:
                stem = "-".join(test.relative_to(ROOT / "test").with_suffix("").parts)
                (target / f"{stem}-{i}.mlir").write_text(body + "\n")


def main() -> None:
    for name, write in [("checkpoint", write_checkpoints), ("npy", write_npy),
                        ("ir", write_ir)]:
        target = CORPUS / name
        target.mkdir(parents=True, exist_ok=True)
        for old in target.iterdir():
            if not old.name.startswith("regression-"):
                old.unlink()
        write(target)
        files = list(target.iterdir())
        print(f"{target.relative_to(ROOT)}: {len(files)} files, "
              f"{sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
