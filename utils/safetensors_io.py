"""Reads and writes safetensors checkpoints with numpy alone.

The end-to-end tests compare moec's C++ loader and kernels against a numpy
reference, so the reference must not share a reader with the code under test
(nor depend on torch/safetensors): a misreading in one would then go unnoticed.

File layout (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length N, N bytes of JSON
``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``
padded with spaces so the data starts at a multiple of 8, then the tensor data,
little-endian and row-major, with offsets relative to the start of the data.

A model directory holds either one ``model.safetensors`` or shards
``model-0000i-of-0000N.safetensors`` with ``model.safetensors.index.json``
mapping every tensor name to its shard (the Hugging Face convention).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np

SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"

# Element sizes and the little-endian numpy dtypes the bytes are read as.
# BF16 is read as raw 16-bit patterns and widened by hand: numpy has no bf16.
_STORAGE = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}
DTYPES = tuple(_STORAGE)


def float32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """Rounds float32 values to bfloat16 (round to nearest, ties to even).

    Returns the 16-bit patterns (the upper half of the rounded float32).
    """
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    # Adding 0x7FFF plus the lowest kept bit rounds the upper half to nearest,
    # ties to even; a carry out of the mantissa correctly bumps the exponent
    # (up to infinity for values beyond the bf16 range).
    lowest_kept = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lowest_kept) >> 16).astype(np.uint16)
    # The same addition could turn a NaN with a full mantissa into infinity or
    # flip its sign; keep NaNs quiet NaNs of the same sign instead.
    nan = np.isnan(values)
    rounded[nan] = ((bits[nan] >> 16) | 0x0040).astype(np.uint16)
    return rounded


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widens bfloat16 bit patterns to float32 (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def _encode(array: np.ndarray, dtype: str) -> bytes:
    if dtype == "BF16":
        return float32_to_bf16_bits(array).astype("<u2").tobytes()
    if dtype not in _STORAGE:
        raise ValueError(f"unsupported dtype {dtype!r}; expected one of {DTYPES}")
    return np.ascontiguousarray(array, dtype=_STORAGE[dtype]).tobytes()


def save_file(path: str | Path, tensors: Mapping[str, tuple[str, np.ndarray]]) -> int:
    """Writes one safetensors file.

    `tensors` maps each name to (dtype, array) with dtype one of DTYPES; the
    arrays are rounded to that dtype. Tensors are stored in the given order.
    Returns the number of tensor data bytes written.
    """
    specs = [(name, dtype, np.shape(array)) for name, (dtype, array) in tensors.items()]
    return _write_streaming(Path(path), specs, (array for _, array in tensors.values()))


def shard_file_name(index: int, count: int) -> str:
    """The Hugging Face name of shard `index` (1-based) of `count`."""
    return f"model-{index:05d}-of-{count:05d}.safetensors"


def save_model(model_dir: str | Path, tensors: Mapping[str, tuple[str, np.ndarray]],
               shards: int = 1) -> None:
    """Writes the tensors of a model into `model_dir`.

    shards == 1 writes one model.safetensors; otherwise the tensors, in order,
    are split into `shards` files of (nearly) equal tensor counts, so that a
    layer's tensors may straddle two files as in real checkpoints, and the
    index file is written next to them.
    """
    specs = [(name, dtype, np.shape(array)) for name, (dtype, array) in tensors.items()]
    save_model_streaming(model_dir, specs, (array for _, array in tensors.values()), shards)


def _write_streaming(path: Path, specs, values) -> int:
    """Writes one safetensors file whose header is known from `specs`
    [(name, dtype, shape)] before the data: each array of `values` is
    encoded and written as it arrives. Returns the data bytes written."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, dtype, shape in specs:
        if dtype not in _STORAGE:
            raise ValueError(f"unsupported dtype {dtype!r}; expected one of {DTYPES}")
        size = int(np.prod(shape, dtype=np.int64)) * _STORAGE[dtype].itemsize
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for (name, dtype, shape), array in zip(specs, values):
            if tuple(np.shape(array)) != tuple(shape):
                raise ValueError(f"tensor {name} has shape {np.shape(array)}, "
                                 f"expected {tuple(shape)}")
            f.write(_encode(array, dtype))
    return offset


def save_model_streaming(model_dir: str | Path, specs, values, shards: int = 1) -> None:
    """As save_model, for tensors described by `specs` [(name, dtype, shape)]
    and drawn one at a time from the iterator `values` in the same order, so
    a model larger than memory can be written."""
    model_dir = Path(model_dir)
    values = iter(values)
    if shards == 1:
        _write_streaming(model_dir / SINGLE_FILE, specs, values)
        return
    if not 1 <= shards <= len(specs):
        raise ValueError(f"cannot split {len(specs)} tensors into {shards} shards")
    weight_map = {}
    total_size = 0
    for i, group in enumerate(np.array_split(np.arange(len(specs)), shards), start=1):
        file_name = shard_file_name(i, shards)
        part = [specs[j] for j in group]
        total_size += _write_streaming(model_dir / file_name, part, values)
        weight_map.update(dict.fromkeys((name for name, _, _ in part), file_name))
    index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
    (model_dir / INDEX_FILE).write_text(json.dumps(index, indent=2) + "\n")


def read_header(path: str | Path) -> tuple[dict, int]:
    """Returns the JSON header of a safetensors file and where its data starts."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise ValueError(f"{path}: {size} bytes is too short for a safetensors file")
        (length,) = struct.unpack("<Q", prefix)
        if 8 + length > size:
            raise ValueError(f"{path}: header of {length} bytes runs past the end "
                             f"of the {size}-byte file")
        header = json.loads(f.read(length))
    return header, 8 + length


def load_file(path: str | Path) -> dict[str, np.ndarray]:
    """Reads every tensor of one safetensors file as a float64 array."""
    path = Path(path)
    header, data_start = read_header(path)
    raw = memoryview(path.read_bytes())[data_start:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = entry["dtype"]
        if dtype not in _STORAGE:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        expected = int(np.prod(shape, dtype=np.int64)) * _STORAGE[dtype].itemsize
        if end - begin != expected or not 0 <= begin <= end <= len(raw):
            raise ValueError(f"{path}: tensor {name} has data_offsets {[begin, end]}, "
                             f"expected {expected} bytes within {len(raw)}")
        values = np.frombuffer(raw[begin:end], dtype=_STORAGE[dtype])
        if dtype == "BF16":
            values = bf16_bits_to_float32(values)
        tensors[name] = values.astype(np.float64).reshape(shape)
    return tensors


def load_model(model_dir: str | Path) -> dict[str, np.ndarray]:
    """Reads all tensors of a model directory (single file or sharded) as float64."""
    model_dir = Path(model_dir)
    index_path = model_dir / INDEX_FILE
    if not index_path.exists():
        return load_file(model_dir / SINGLE_FILE)
    weight_map = json.loads(index_path.read_text())["weight_map"]
    tensors = {}
    for file_name in sorted(set(weight_map.values())):
        part = load_file(model_dir / file_name)
        wanted = {name for name, f in weight_map.items() if f == file_name}
        if set(part) != wanted:
            raise ValueError(f"{model_dir / file_name} holds {sorted(part)} but the "
                             f"index assigns it {sorted(wanted)}")
        tensors.update(part)
    return tensors
