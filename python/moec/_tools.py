"""moec.compile and moec.opt: the compiler tools, run as programs.

The runtime extension links no LLVM or MLIR; compiling runs the installed
moe-compile and moe-opt, so an app that only loads artifacts never loads the
compiler.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import _config
from ._errors import CompileError, InputError, ToolNotFoundError

KV_CACHE_TYPES = ("f32", "f16", "bf16")
LATENT_ATTENTION_MODES = ("auto", "absorb", "expand")
TARGETS = ("cpu", "cuda")


def tool_path(name: str) -> str:
    """Where moec's tool `name` is: $MOEC_TOOLS_DIR, the directory recorded
    when the package was built, then PATH."""
    for directory in (os.environ.get("MOEC_TOOLS_DIR"), _config.tools_dir()):
        if directory:
            candidate = Path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise ToolNotFoundError(
        f"{name} was not found in $MOEC_TOOLS_DIR, {_config.tools_dir()} or "
        f"PATH; install moec's tools (cmake --install) or set MOEC_TOOLS_DIR")


def _run(tool: str, args: list[str], stdin: str | None = None) -> str:
    try:
        done = subprocess.run([tool_path(tool), *args], input=stdin,
                              capture_output=True, text=True, check=False)
    except OSError as e:
        raise ToolNotFoundError(f"cannot run {tool}: {e}") from e
    if done.returncode != 0:
        message = done.stderr.strip() or f"exit status {done.returncode}"
        raise CompileError(f"{tool} failed: {message}")
    return done.stdout


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got "
                         f"{value!r}")
    return value


def compile(model_dir: str | os.PathLike, output: str | os.PathLike | None = None,
            *, layer: int | None = None, target: str = "cpu",
            cpu: str = "host", gpu_arch: str = "sm_90", kv_cache: str = "f32",
            latent_attention: str = "auto", fused: bool = True,
            threads: bool = True) -> str:
    """Compiles the checkpoint in `model_dir` ahead of time and returns the
    path of the artifact.

    The whole model (prefill and decode with a KV cache) by default, or with
    `layer=L` decoder layer L's MLP block. `output` is the file to write
    (as moe-compile --output); None writes into a new temporary directory,
    which the caller may remove once the artifact is loaded. `cpu` is an LLVM CPU name (host, x86-64-v3, x86-64-v4, ...).
    With target="cuda" the artifact runs on an NVIDIA GPU of `gpu_arch`
    (sm_80, sm_86, sm_89, sm_90, sm_90a); `cpu`, `latent_attention`,
    `fused` and `threads` are for CPU code only.
    """
    _choice("target", target, TARGETS)
    _choice("kv_cache", kv_cache, KV_CACHE_TYPES)
    _choice("latent_attention", latent_attention, LATENT_ATTENTION_MODES)
    if layer is not None and (not isinstance(layer, int) or layer < 0):
        raise InputError(f"layer must be a non-negative int, got {layer!r}")
    model_dir = os.fspath(model_dir)
    if output is None:
        name = "model.so" if layer is None else f"layer{layer}.so"
        output = os.path.join(tempfile.mkdtemp(prefix="moec-"), name)
    output = os.fspath(output)
    args = ["model"] if layer is None else ["layer", f"--layer={layer}"]
    args += [f"--model={model_dir}", f"--output={output}"]
    if layer is None:
        args.append(f"--kv-cache={kv_cache}")
    if target == "cuda":
        args += ["--target=cuda", f"--gpu-arch={gpu_arch}"]
    else:
        args.append(f"--cpu={cpu}")
        if layer is None:
            args.append(f"--latent-attention={latent_attention}")
        if not fused:
            args.append("--unfused")
        if not threads:
            args.append("--sequential")
    _run("moe-compile", args)
    return output


def opt(mlir: str, pipeline: str) -> str:
    """Runs moe-opt's `pipeline` on the MLIR text `mlir` and returns the
    result as MLIR text.

    `pipeline` is a textual pass pipeline: either a full one
    ("builtin.module(moe-decompose-pipeline)") or the passes to nest under
    the module ("moe-decompose-pipeline,canonicalize").
    """
    if not isinstance(mlir, str) or not isinstance(pipeline, str):
        raise InputError("opt takes the MLIR text and the pipeline as str")
    if not pipeline.strip():
        raise InputError("opt needs a pipeline, e.g. 'moe-cpu-pipeline'")
    text = pipeline.strip()
    if not text.startswith(("builtin.module(", "any(")):
        text = f"builtin.module({text})"
    return _run("moe-opt", [f"--pass-pipeline={text}"], stdin=mlir)
