"""End-to-end tests of moec's other ways to compile and run a layer.

- ahead of time: `moe-compile layer ... --output L.so`, then
  `moe-run layer ... --module L.so`, which runs the library through the
  runtime C API without the compiler;
- the unfused lowering (`--unfused`), one thread (`--sequential`), and shared
  experts kept out of the grouped kernel (`--no-fold-shared-experts`);
- code for each x86-64 level this host runs (`--cpu x86-64`, `x86-64-v3`,
  and `x86-64-v4` on an AVX-512 host): other vector widths, register tiles
  and weight panels, just in time and ahead of time.

Every mode must agree with the float64 reference like the default JIT path.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as R
from test_layer import CASES, assert_close_rows

AOT_CASES = ["greedy-norm", "group-limited-scaled", "noaux-sigmoid-norm",
             "shared-null", "dense-first-layer", "f16", "sharded", "t1", "t100",
             "idle-experts", "k-equals-e", "odd-sizes", "odd-sizes-dense"]
MODE_CASES = ["greedy-norm", "noaux-sigmoid-norm", "t1", "t100", "dense-first-layer",
              "all-tokens-same-experts", "odd-sizes"]
MODES = {"unfused": ["--unfused"], "sequential": ["--sequential"],
         "shared-unfolded": ["--no-fold-shared-experts"]}


def host_flags() -> set[str]:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


# x86-64: SSE2 only (4 lanes); v3: AVX2 + FMA (8 lanes, 16 registers); v4:
# AVX-512 (16 lanes, 32 registers).
CPU_LEVELS = ["x86-64", "x86-64-v3"] + (["x86-64-v4"] if "avx512f" in host_flags() else [])
CPU_CASES = ["greedy-norm", "t1", "t100", "dense-first-layer", "odd-sizes", "f16",
             "idle-experts"]


def inputs(case, ckpt):
    H = ckpt.config["hidden_size"]
    x = (np.random.default_rng(case.tokens).normal(size=(case.tokens, H))
         + case.input_offset).astype(np.float32)
    return x, R.mlp_block(ckpt.weights, ckpt.config, case.layer, x.astype(np.float64))


def run(moe_run, ckpt, layer, x, tmp_path, *extra):
    np.save(tmp_path / "x.npy", x)
    proc = moe_run("layer", "--model", ckpt.path, "--layer", layer,
                   "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy", *extra)
    assert proc.returncode == 0, proc.stderr
    return np.load(tmp_path / "y.npy")


@pytest.mark.parametrize("name", AOT_CASES)
def test_compiled_module_matches_reference(moe_run, moe_compile, checkpoint, tmp_path, name):
    case = CASES[name]
    ckpt = checkpoint(**case.options)
    module = tmp_path / "layer.so"
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", case.layer,
                       "--output", module)
    assert proc.returncode == 0, proc.stderr
    x, ref = inputs(case, ckpt)
    y = run(moe_run, ckpt, case.layer, x, tmp_path, "--module", module)
    assert_close_rows(y, ref)
    # The same code as the JIT: the same bits.
    assert np.array_equal(y, run(moe_run, ckpt, case.layer, x, tmp_path))


@pytest.mark.parametrize("mode", MODES.keys())
@pytest.mark.parametrize("name", MODE_CASES)
def test_compile_mode_matches_reference(moe_run, checkpoint, tmp_path, name, mode):
    case = CASES[name]
    ckpt = checkpoint(**case.options)
    x, ref = inputs(case, ckpt)
    assert_close_rows(run(moe_run, ckpt, case.layer, x, tmp_path, *MODES[mode]), ref)


def test_parallel_kernels_are_deterministic(moe_run, checkpoint, tmp_path):
    case = CASES["t100"]
    ckpt = checkpoint(**case.options)
    x, _ = inputs(case, ckpt)
    first = run(moe_run, ckpt, case.layer, x, tmp_path)
    assert np.array_equal(first, run(moe_run, ckpt, case.layer, x, tmp_path))
    assert np.array_equal(first, run(moe_run, ckpt, case.layer, x, tmp_path, "--sequential"))


def test_module_for_another_layer_is_refused(moe_run, moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint(first_k_dense_replace=1)
    module = tmp_path / "moe-layer.so"
    assert moe_compile("layer", "--model", ckpt.path, "--layer", 1,
                       "--output", module).returncode == 0
    np.save(tmp_path / "x.npy", np.ones((2, ckpt.config["hidden_size"]), np.float32))
    proc = moe_run("layer", "--model", ckpt.path, "--layer", 0, "--input", tmp_path / "x.npy",
                   "--output", tmp_path / "y.npy", "--module", module)
    assert proc.returncode == 1
    assert "was compiled for another model or layer" in proc.stderr
    assert 'mlp: "moe" in the module, "dense" needed' in proc.stderr
    assert not (tmp_path / "y.npy").exists()


def test_not_a_module_is_refused(moe_run, checkpoint, tmp_path):
    ckpt = checkpoint()
    bogus = tmp_path / "bogus.so"
    bogus.write_bytes(b"not an ELF file")
    np.save(tmp_path / "x.npy", np.ones((2, ckpt.config["hidden_size"]), np.float32))
    proc = moe_run("layer", "--model", ckpt.path, "--layer", 1, "--input", tmp_path / "x.npy",
                   "--output", tmp_path / "y.npy", "--module", bogus)
    assert proc.returncode == 1 and "bogus.so" in proc.stderr


def test_compile_errors_leave_no_output(moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint()
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 99,
                       "--output", tmp_path / "l.so")
    assert proc.returncode == 1 and "layer 99 is out of range" in proc.stderr
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 1,
                       "--output", tmp_path / "no-such-dir" / "l.so")
    assert proc.returncode == 1 and "no-such-dir" in proc.stderr
    assert not list(tmp_path.glob("**/*.so*"))


@pytest.mark.parametrize("cpu", CPU_LEVELS)
@pytest.mark.parametrize("name", CPU_CASES)
def test_code_for_each_cpu_level_matches_reference(moe_run, moe_compile, checkpoint,
                                                   tmp_path, name, cpu):
    case = CASES[name]
    ckpt = checkpoint(**case.options)
    x, ref = inputs(case, ckpt)
    jit = run(moe_run, ckpt, case.layer, x, tmp_path, "--cpu", cpu)
    assert_close_rows(jit, ref)
    module = tmp_path / "layer.so"
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", case.layer,
                       "--cpu", cpu, "--output", module)
    assert proc.returncode == 0, proc.stderr
    assert np.array_equal(jit, run(moe_run, ckpt, case.layer, x, tmp_path, "--module", module))


@pytest.mark.skipif("avx512f" in host_flags(), reason="the host runs AVX-512 code")
def test_code_for_a_cpu_this_host_lacks_is_refused(moe_run, moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint()
    module = tmp_path / "v4.so"
    # Compiling for another CPU works anywhere...
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 1, "--cpu", "x86-64-v4",
                       "--output", module)
    assert proc.returncode == 0, proc.stderr
    np.save(tmp_path / "x.npy", np.ones((2, ckpt.config["hidden_size"]), np.float32))
    # ...running it is a clear error, not an illegal instruction.
    for extra in (["--module", module], ["--cpu", "x86-64-v4"]):
        proc = moe_run("layer", "--model", ckpt.path, "--layer", 1, "--input", tmp_path / "x.npy",
                       "--output", tmp_path / "y.npy", *extra)
        assert proc.returncode == 1, proc.stderr
        assert "needs CPU features this CPU lacks: avx512f" in proc.stderr
        assert not (tmp_path / "y.npy").exists()


def test_unknown_cpu_is_refused(moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint()
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 1, "--cpu", "pentium-9000",
                       "--output", tmp_path / "l.so")
    assert proc.returncode == 1
    assert "unknown CPU 'pentium-9000'" in proc.stderr and "x86-64-v3" in proc.stderr
    assert not (tmp_path / "l.so").exists()
