"""moec.opt, moec.compile's options, and the package's type stubs."""
from __future__ import annotations

import ast
import ctypes
import os
from pathlib import Path

import pytest

import moec
from conftest import ROOT

BLOCK = (ROOT / "examples" / "deepseekmoe-16b-block.mlir").read_text()


def test_opt_runs_moe_pipelines():
    assert "moe." in BLOCK
    decomposed = moec.opt(BLOCK, "moe-decompose-pipeline")
    assert "func.func" in decomposed
    lowered = moec.opt(BLOCK, "builtin.module(moe-cpu-pipeline)")
    assert "llvm.func" in lowered and "moe." not in lowered


def test_opt_errors_name_the_problem():
    with pytest.raises(moec.CompileError, match="error"):
        moec.opt("func.func @f( {", "canonicalize")
    with pytest.raises(moec.CompileError, match="no-such-pass"):
        moec.opt(BLOCK, "no-such-pass")
    with pytest.raises(moec.InputError):
        moec.opt(BLOCK, "")


def test_compile_a_layer_for_another_cpu(deepseek, tmp_path):
    path = moec.compile(deepseek.path, tmp_path / "l1.so", layer=1, cpu="x86-64-v3")
    assert Path(path).stat().st_size > 0


PTXAS = Path(os.environ.get("MOEC_CUDA_TOOLKIT", "/usr/local/cuda")) / "bin" / "ptxas"


@pytest.mark.skipif(not os.access(PTXAS, os.X_OK),
                    reason=f"no CUDA toolkit ({PTXAS}) to compile GPU code")
def test_compile_the_model_for_a_gpu(deepseek, tmp_path):
    """target="cuda" writes a module for the GPU; where there is no GPU,
    loading it says why."""
    path = moec.compile(deepseek.path, tmp_path / "gpu.so", target="cuda",
                        gpu_arch="sm_80")
    assert Path(path).stat().st_size > 0
    try:
        ctypes.CDLL("libcuda.so.1")
        return  # a CUDA driver, wherever the loader finds it: nothing to refuse
    except OSError:
        pass
    with pytest.raises(moec.RunError, match="CUDA"):
        moec.Model.load(deepseek.path, path)
    with pytest.raises(moec.RunError, match="CUDA"):
        moec.Model.load(deepseek.path, target="cuda")


def test_stubs_describe_the_extension():
    """Every class, method and constant of _runtime.pyi exists in the
    extension, and every public name of the extension is in the stubs."""
    stub = Path(moec.__file__).with_name("_runtime.pyi")
    tree = ast.parse(stub.read_text())
    declared = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {n.name for n in node.body
                                   if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.AnnAssign):
            declared[node.target.id] = set()
    for name, members in declared.items():
        assert hasattr(moec._runtime, name), name
        for member in members - {"__init__"}:
            assert hasattr(getattr(moec._runtime, name), member), f"{name}.{member}"
    public = {n for n in dir(moec._runtime) if not n.startswith("_")}
    assert public == set(declared)
