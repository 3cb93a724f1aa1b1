"""moec.Model: a compiled DeepSeek model loaded by the runtime."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from . import _runtime
from ._errors import Error, InputError
from ._tools import TARGETS, _choice, compile

IdsLike = Sequence[int] | np.ndarray


def _ids(ids: IdsLike, what: str = "ids") -> np.ndarray:
    """`ids` as a contiguous int32 array (no copy when it is one)."""
    array = np.asarray(ids)
    if array.ndim != 1 or array.size == 0:
        raise InputError(f"{what} must be a non-empty 1-D sequence of token "
                         f"ids, got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise InputError(f"{what} must be integers, got dtype {array.dtype}")
    if array.min() < 0 or array.max() > np.iinfo(np.int32).max:
        raise InputError(f"{what} must be token ids in [0, 2**31), got "
                         f"{array.min()}..{array.max()}")
    return np.ascontiguousarray(array, dtype=np.int32)


class Tokenizer:
    """A Hugging Face tokenizer.json (byte-level BPE), as `tokenizers`
    encodes and decodes."""

    def __init__(self, path: str | os.PathLike):
        """`path`: the tokenizer.json, or the model directory holding it."""
        self._tokenizer = _runtime.Tokenizer(os.fspath(path))

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens)

    def decode(self, ids: IdsLike, skip_special_tokens: bool = True) -> str:
        return self._tokenizer.decode([int(i) for i in np.asarray(ids).ravel()],
                                      skip_special_tokens)


class Session:
    """One sequence on a Model: its KV cache and position. Prefill and decode
    steps append to the cache. Use a session from one thread at a time;
    sessions of one model may run on different threads at once."""

    def __init__(self, model: Model, capacity: int):
        self.model = model
        self._session = _runtime.Session(model._compiled, int(capacity))

    @property
    def position(self) -> int:
        return self._session.position

    @property
    def capacity(self) -> int:
        return self._session.capacity

    @property
    def cache_bytes_per_token(self) -> int:
        return self._session.cache_bytes_per_token

    def reset(self) -> None:
        """Forgets every token: the next call starts at position 0."""
        self._session.reset()

    def prefill(self, ids: IdsLike) -> np.ndarray:
        """Runs `ids` at the next positions; the logits of the last [vocab]."""
        logits = np.empty(self.model.vocab_size, dtype=np.float32)
        self._session.prefill(_ids(ids), logits)
        return logits

    def decode(self, token: int) -> np.ndarray:
        """One decode step for `token`; its logits [vocab]."""
        logits = np.empty(self.model.vocab_size, dtype=np.float32)
        self._session.decode(int(token), logits)
        return logits

    def logits(self, ids: IdsLike) -> np.ndarray:
        """Runs `ids` at the next positions; the logits of each [T, vocab]."""
        array = _ids(ids)
        logits = np.empty((array.size, self.model.vocab_size), dtype=np.float32)
        self._session.logits(array, logits)
        return logits


class Model:
    """A DeepSeek checkpoint (deepseek, deepseek_v2, deepseek_v3) with its
    compiled module, weights bound. Immutable once loaded: any number of
    sessions may run on it, from any threads."""

    def __init__(self, *_args, **_kwargs):
        raise TypeError("use moec.Model.load(model_dir, ...)")

    @classmethod
    def load(cls, model_dir: str | os.PathLike,
             module: str | os.PathLike | None = None, *, threads: int = 0,
             target: str = "cpu", cpu: str = "host", gpu_arch: str = "sm_90",
             kv_cache: str = "f32") -> Model:
        """Loads the checkpoint in `model_dir` with `module`, an artifact of
        moec.compile (or moe-compile model) for it; without one, compiles it
        first (`target`, `cpu` or `gpu_arch`, `kv_cache`). target="cuda"
        runs on GPU 0 and needs a module for the GPU. `threads`: threads per
        call on the CPU (0: OpenMP's default)."""
        _choice("target", target, TARGETS)
        if not isinstance(threads, int) or threads < 0:
            raise InputError(f"threads must be an int >= 0, got {threads!r}")
        model_dir = os.fspath(model_dir)
        self = object.__new__(cls)
        self.directory = model_dir
        self._threads = threads
        self._cpu = cpu
        self._target = target
        self._gpu_arch = gpu_arch
        self._runtime = _runtime.Runtime(
            threads, _runtime.TARGET_CUDA if target == "cuda"
            else _runtime.TARGET_CPU)
        compiled_here = module is None
        if compiled_here:
            module = compile(model_dir, target=target, cpu=cpu,
                             gpu_arch=gpu_arch, kv_cache=kv_cache)
        try:
            self._compiled = _runtime.CompiledModel(self._runtime, model_dir,
                                                    os.fspath(module))
        finally:
            # The runtime keeps its own copy of a loaded module's code.
            if compiled_here:
                shutil.rmtree(Path(module).parent, ignore_errors=True)
        self._tokenizer = None
        self._checkpoint = None
        self._layers: dict[int, _runtime.LayerModule] = {}
        return self

    vocab_size = property(lambda self: self._compiled.vocab_size)
    hidden_size = property(lambda self: self._compiled.hidden_size)
    num_layers = property(lambda self: self._compiled.num_layers)
    max_positions = property(lambda self: self._compiled.max_positions)
    bos_token_id = property(lambda self: self._compiled.bos_token_id)
    eos_token_ids = property(lambda self: self._compiled.eos_token_ids)

    @property
    def tokenizer(self) -> Tokenizer:
        """The model directory's tokenizer.json."""
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self.directory)
        return self._tokenizer

    def session(self, capacity: int | None = None) -> Session:
        """A new sequence of up to `capacity` tokens (default: the model's
        max_position_embeddings, whose cache pages are committed only as
        they fill)."""
        return Session(self, self.max_positions if capacity is None
                       else capacity)

    def _prompt(self, prompt: str | IdsLike) -> np.ndarray:
        if isinstance(prompt, str):
            return _ids(self.tokenizer.encode(prompt), "the encoded prompt")
        return _ids(prompt, "prompt")

    def logits(self, ids: str | IdsLike) -> np.ndarray:
        """The logits [T, vocab] of every position of `ids` (or of a text's
        encoding), on a fresh session."""
        array = self._prompt(ids)
        return Session(self, array.size).logits(array)

    def generate(self, prompt: str | IdsLike, max_new_tokens: int = 16, *,
                 temperature: float = 0.0, top_p: float = 1.0, seed: int = 0,
                 stop_ids: Sequence[int] | None = None,
                 session: Session | None = None) -> Iterator[int]:
        """Streams new token ids after `prompt` (ids, or text to encode with
        the model's tokenizer): greedy unless `temperature` > 0, until
        `max_new_tokens` or a stop id (default: the config's eos_token_id).
        Each token is yielded as soon as it is chosen; the prompt runs on
        `session` (at its position) or on a fresh one."""
        ids = self._prompt(prompt)
        if not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise InputError(f"max_new_tokens must be an int >= 0, got "
                             f"{max_new_tokens!r}")
        if session is None:
            session = Session(self, min(self.max_positions,
                                        ids.size + max_new_tokens))
        generator = _runtime.Generator(
            session._session, ids, max_new_tokens, float(temperature),
            float(top_p), int(seed),
            None if stop_ids is None else [int(i) for i in stop_ids])
        return _tokens(generator)

    def generate_text(self, prompt: str | IdsLike, max_new_tokens: int = 16,
                      **options) -> Iterator[str]:
        """As generate, streaming the new text instead: each piece is printed
        once its characters are whole."""
        tokens: list[int] = []
        printed = ""
        for token in self.generate(prompt, max_new_tokens, **options):
            tokens.append(token)
            text = self.tokenizer.decode(tokens)
            if text.endswith("\ufffd"):
                continue
            yield text[len(printed):]
            printed = text
        text = self.tokenizer.decode(tokens)
        if len(text) > len(printed):
            yield text[len(printed):]

    def layer(self, layer: int, x: np.ndarray) -> np.ndarray:
        """Decoder layer `layer`'s MLP block (MoE or dense) on hidden states
        `x` [T, hidden_size] (after post_attention_layernorm): its output
        before the residual add, [T, hidden_size] float32. The block is
        compiled on first use for this model's target and cpu or gpu_arch."""
        if not isinstance(layer, int) or not 0 <= layer < self.num_layers:
            raise InputError(f"layer must be an int in [0, {self.num_layers}),"
                             f" got {layer!r}")
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.hidden_size or x.shape[0] == 0:
            raise InputError(f"x must have shape [T >= 1, {self.hidden_size}],"
                             f" got {x.shape}")
        if self._checkpoint is None:
            self._checkpoint = _runtime.Checkpoint(self.directory)
        module = self._layers.get(layer)
        if module is None:
            path = compile(self.directory, layer=layer, target=self._target,
                           cpu=self._cpu, gpu_arch=self._gpu_arch)
            try:
                module = _runtime.LayerModule(path)
            finally:
                shutil.rmtree(Path(path).parent, ignore_errors=True)
            self._layers[layer] = module
        y = np.empty_like(x)
        module.run(self._checkpoint, layer, x, y)
        return y


def _tokens(generator: _runtime.Generator) -> Iterator[int]:
    while (token := generator.next(None)) is not None:
        yield token


__all__ = ["Model", "Session", "Tokenizer", "Error"]
