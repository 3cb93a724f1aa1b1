"""The GPU path without a GPU: its kernels' arithmetic, its PTX, its errors.

No GPU runs here, so the GPU lowering is checked four ways:

* `--gpu-kernels-on-cpu` compiles the moe ops of a model (the MLP blocks,
  and the embedding, norms, projections, RoPE and attention of the decoder
  layers) with the GPU lowering (convert-moe-to-gpu) and runs each kernel's
  threads one after another on the CPU, or a warp's lanes in lock step
  (moe-gpu-launch-to-loops). The kernels share no memory between
  threads and write each output from one thread, so this is what the GPU
  computes; it must match the float64 reference on every layer case of
  test_layer.py and on whole models;
* `moe-compile layer|model --target cuda --emit=ptx` writes PTX that the
  CUDA toolkit's ptxas assembles for sm_80 and sm_90 (skipped, saying why,
  where there is no ptxas);
* the GPU options refuse what they cannot do, by name; GPU modules, built
  ahead of time, load without LLVM or MLIR and, without a driver or GPU,
  fail with a message saying so;
* on a fake driver (test/unit/FakeCUDADriver.c), a GPU model's host side
  runs: its launches, copies and waits, and its errors.

Running the kernels on a GPU needs a machine with one (see README).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import reference as R
from checks import assert_close_rows, assert_fails_naming
from test_layer import CASES, ODDER, WIDE, Case, same_experts_for_all
from test_latent_attention import MODELS as MLA_MODELS
from test_model import (GQA, MODELS, assert_greedy_matches, prompt_ids, run_generate,
                        run_logits)

CUDA_TOOLKIT = Path(os.environ.get("MOEC_CUDA_TOOLKIT", "/usr/local/cuda"))
PTXAS = CUDA_TOOLKIT / "bin" / "ptxas"
# Compiling for a GPU needs the CUDA toolkit (ptxas, libdevice), not a GPU.
needs_toolkit = pytest.mark.skipif(
    not os.access(PTXAS, os.X_OK),
    reason=f"no CUDA toolkit at {CUDA_TOOLKIT} (ptxas, libdevice) to compile GPU "
           "code (set MOEC_CUDA_TOOLKIT)")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_gpu_kernels_match_reference(moe_run, checkpoint, tmp_path, case):
    ckpt = checkpoint(**case.options)
    x = (np.random.default_rng(case.tokens).normal(size=(case.tokens,
                                                         ckpt.config["hidden_size"]))
         + case.input_offset).astype(np.float32)
    x_path, y_path = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(x_path, x)
    proc = moe_run("layer", "--model", ckpt.path, "--layer", case.layer, "--input",
                   x_path, "--output", y_path, "--gpu-kernels-on-cpu")
    assert proc.returncode == 0, proc.stderr
    y = np.load(y_path)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert_close_rows(y, R.mlp_block(ckpt.weights, ckpt.config, case.layer,
                                     x.astype(np.float64)))


# The expert products' tensor-core tiles (BF16 weights, H and the widths
# multiples of 32: the generator's H 64, I 32, dense 96), which the host
# launches from 8 sorted rows per expert (here 8 experts + 2 shared: 80 rows,
# 20 tokens of 2 + 2 slots): segments that end mid-tile, experts with no
# token, one expert taking every token, and dense layers of a ragged T.
TILE_CASES = {
    "tiles-ragged-segments": Case(tokens=100),
    "tiles-at-the-threshold": Case(tokens=20),
    "tiles-below-the-threshold": Case(tokens=19),
    "tiles-all-tokens-same-experts": Case(dict(router_bias_to=(3, 6)), tokens=45,
                                          input_offset=1.0, routing=same_experts_for_all),
    "tiles-k-equals-e": Case(dict(num_experts_per_tok=8), tokens=9),
    "tiles-dense": Case(layer=0, tokens=21),
    "tiles-gate-up-only": Case(dict(moe_intermediate_size=40), tokens=60),
    "tiles-down-only": Case(dict(hidden_size=72, num_attention_heads=4,
                                 moe_intermediate_size=64), tokens=60),
}


def takes_tiles(config: dict, layer: int, tokens: int) -> bool:
    """Whether the host launches the tiles: 8 sorted rows per expert."""
    if not R.is_moe_layer(config, layer):
        return tokens >= 8
    shared = config.get("n_shared_experts") or 0
    experts = config["n_routed_experts"] + shared
    return tokens * (config["num_experts_per_tok"] + shared) >= 8 * experts


@pytest.mark.parametrize("name", TILE_CASES)
def test_tensor_core_tiles_match_reference(moe_run, checkpoint, tmp_path, name):
    case = TILE_CASES[name]
    ckpt = checkpoint(**case.options)
    layer = case.layer
    assert tensor_core_kernels(ckpt.config, layer) > 0
    assert takes_tiles(ckpt.config, layer, case.tokens) == ("below" not in name)
    if case.routing:
        x = (np.random.default_rng(case.tokens).normal(size=(case.tokens,
                                                             ckpt.config["hidden_size"]))
             + case.input_offset)
        assert R.routing_margin(ckpt.weights, ckpt.config, layer, x).min() > 1e-6
        _, idx = R.select_experts(ckpt.weights, ckpt.config, layer, x)
        assert case.routing(idx, ckpt.config), f"routing is not {case.routing.__name__}"
    test_gpu_kernels_match_reference(moe_run, checkpoint, tmp_path, case)


GPU_MODELS = ["default", "noaux-sigmoid-grouped", "group-limited-scaled",
              "greedy-norm-no-shared", "f16", "odd-sizes"]


@pytest.mark.parametrize("name", GPU_MODELS)
def test_gpu_kernels_in_the_model(moe_run, checkpoint, tmp_path, name):
    ckpt = checkpoint(**MODELS[name])
    ids = prompt_ids(ckpt.config, 13)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--gpu-kernels-on-cpu")
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


def test_gpu_kernels_turn_partial_rope_groups(moe_run, checkpoint, tmp_path):
    """Heads of 24 values (H 96, 4 heads): a q/k projection tile turns 8
    RoPE pairs (j, j + 12) of a head, so each head's second tile is two
    thirds empty; the decode steps turn pairs in the warp form."""
    ckpt = checkpoint(hidden_size=96, num_attention_heads=4)
    ids = prompt_ids(ckpt.config, 13)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--gpu-kernels-on-cpu")
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))
    tokens, _ = run_generate(moe_run, ckpt.path, ids, 4, tmp_path, "--gpu-kernels-on-cpu")
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, ids, 4)
    assert_greedy_matches(tokens, ref, margins)


LATENT_MODELS = ["v2", "v2-q-lora", "v3-yarn-q-lora", "v3-linear-rope", "odd-sizes", "f32"]


@pytest.mark.parametrize("tokens", [1, 13])
@pytest.mark.parametrize("name", LATENT_MODELS)
def test_gpu_kernels_in_latent_attention_models(moe_run, checkpoint, tmp_path, name,
                                                tokens):
    """deepseek_v2/v3: the compressed cache, MLA's per-head products and
    interleaved YaRN RoPE on the GPU kernels."""
    ckpt = checkpoint(**MLA_MODELS[name])
    ids = prompt_ids(ckpt.config, tokens)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--gpu-kernels-on-cpu")
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


@pytest.mark.parametrize("prompt_tokens", [6, 150])
@pytest.mark.parametrize("options", [GQA, MLA_MODELS["v3-yarn-q-lora"]], ids=["gqa", "v3"])
def test_gpu_kernels_decode_against_the_cache(moe_run, checkpoint, tmp_path, options,
                                              prompt_tokens):
    """Decode steps attend to the KV cache that earlier calls wrote (start >
    0): greedy tokens as the reference's, each step's logits as a full
    recompute's (within the tolerance of the tensor-core tiles, which the
    recompute's tokens take and a decode step's one does not). After 150
    tokens a decode step's attention splits the cached positions into 3
    chunks of 51 or more (not a multiple of the 4 positions a step takes);
    the 4-head V3 model's prefill splits them into 2 chunks of 75, the
    second empty for the prompt's first 75 tokens."""
    ckpt = checkpoint(**options)
    prompt = prompt_ids(ckpt.config, prompt_tokens, seed=11)
    tokens, steps = run_generate(moe_run, ckpt.path, prompt, 8, tmp_path,
                                 "--gpu-kernels-on-cpu")
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, prompt, 8)
    assert_greedy_matches(tokens, ref, margins)
    full = run_logits(moe_run, ckpt.path, prompt + tokens[:-1], tmp_path,
                      "--gpu-kernels-on-cpu")
    assert_close_rows(steps, full[len(prompt) - 1:])


@pytest.mark.parametrize("kv_cache", ["f16", "bf16"])
def test_gpu_kernels_read_a_half_precision_cache(moe_run, checkpoint, tmp_path, kv_cache):
    """Keys and values rounded into the cache, read back by the attention
    kernel. Few tokens, so that the experts' products take the warp form:
    the tensor-core tiles' ~1e-6 error can flip a key's rounding to BF16
    (2^-8 apart), which moves the logits by more than the reference's
    tolerance."""
    ckpt = checkpoint(**GQA)
    ids = prompt_ids(ckpt.config, 7, seed=4)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--gpu-kernels-on-cpu",
                        "--kv-cache", kv_cache)
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids,
                                              kv_cache=kv_cache))


def test_gpu_kernels_on_a_long_prompt(moe_run, checkpoint, tmp_path):
    """More tokens than a block of threads, and not a multiple of one."""
    ckpt = checkpoint(**GQA)
    ids = prompt_ids(ckpt.config, 300, seed=300)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--gpu-kernels-on-cpu")
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))


PTX_CASES = {
    "greedy-bf16": dict(),
    "noaux-grouped-f32": dict(WIDE, topk_method="noaux_tc", scoring_func="sigmoid",
                              n_group=4, topk_group=2, norm_topk_prob=True, dtype="f32"),
    "group-limited-f16": dict(WIDE, topk_method="group_limited_greedy", n_group=4,
                              topk_group=2, dtype="f16"),
    "no-shared": dict(n_shared_experts=None),
    # Weight vectors of 2 and 1 elements.
    "odder-sizes": ODDER,
}


def tensor_core_kernels(config: dict, layer: int) -> int:
    """How many of a layer's two expert products have a tensor-core form:
    those with BF16 weights and a reduction of whole 32-element steps."""
    if config.get("torch_dtype", config.get("dtype")) != "bfloat16":
        return 0
    width = config["intermediate_size" if layer == 0 else "moe_intermediate_size"]
    return (config["hidden_size"] % 32 == 0) + (width % 32 == 0)


def compile_ptx(moe_compile, model: Path, layer: int, arch: str, out: Path):
    return moe_compile("layer", "--model", model, "--layer", layer, "--target", "cuda",
                       "--emit=ptx", "--gpu-arch", arch, "--output", out)


@needs_toolkit
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("layer", [0, 1], ids=["dense", "moe"])
@pytest.mark.parametrize("options", PTX_CASES.values(), ids=PTX_CASES.keys())
def test_layer_ptx_assembles(moe_compile, checkpoint, tmp_path, options, layer, arch):
    ckpt = checkpoint(**options)
    ptx = tmp_path / "layer.ptx"
    proc = compile_ptx(moe_compile, ckpt.path, layer, arch, ptx)
    assert proc.returncode == 0, proc.stderr
    text = ptx.read_text()
    assert f".target {arch}" in text
    # Routing, dispatch, experts and combine all run as kernels (a dense
    # layer has only the two SwiGLU products).
    kernels = text.count(".entry ")
    # Router logits; scores, top-k and the shared-expert slots in one
    # kernel; the dispatch's three steps; gate/up, down and combine. A
    # product with a tensor-core form is still one kernel, running the
    # tiles or the warps as the host chose.
    moe_kernels = 8
    assert kernels == (2 if layer == 0 else moe_kernels), text[:2000]
    products = text.count("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")
    assert (products > 0) == (tensor_core_kernels(ckpt.config, layer) > 0), \
        "tensor-core products where a product has a tile form"
    asm = subprocess.run([str(PTXAS), f"-arch={arch}", str(ptx), "-o",
                          str(tmp_path / "layer.cubin")], capture_output=True, text=True)
    assert asm.returncode == 0, asm.stderr


MODEL_PTX_CASES = {
    "deepseek-gqa-bf16-cache": (GQA, ("--kv-cache", "bf16")),
    "deepseek-f16": (MODELS["f16"], ()),
    "v2": (MLA_MODELS["v2"], ()),
    "v3-yarn-q-lora": (MLA_MODELS["v3-yarn-q-lora"], ()),
    "mla-odd-sizes": (MLA_MODELS["odd-sizes"], ()),
}


@needs_toolkit
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("case", MODEL_PTX_CASES.values(), ids=MODEL_PTX_CASES.keys())
def test_model_ptx_assembles(moe_compile, checkpoint, tmp_path, case, arch):
    """The whole model lowers to kernels: embedding, norms, projections,
    RoPE, attention over the cache, the MLP blocks and the head, with no
    op left on the host."""
    options, flags = case
    ckpt = checkpoint(**options)
    ptx = tmp_path / "model.ptx"
    proc = moe_compile("model", "--model", ckpt.path, "--target", "cuda", "--emit=ptx",
                       "--gpu-arch", arch, "--output", ptx, *flags)
    assert proc.returncode == 0, proc.stderr
    text = ptx.read_text()
    assert f".target {arch}" in text
    for kernel in ["moe_embedding", "moe_rms_norm", "moe_linear", "moe_attention",
                   "moe_attention_combine",
                   "moe_router_logits", "moe_route", "moe_experts_gate_up"]:
        assert f".entry {kernel}" in text, f"no {kernel} kernel"
    latent = ckpt.config["model_type"] != "deepseek"
    assert (".entry moe_head_matmul" in text) == latent
    asm = subprocess.run([str(PTXAS), f"-arch={arch}", str(ptx), "-o",
                          str(tmp_path / "model.cubin")], capture_output=True, text=True)
    assert asm.returncode == 0, asm.stderr


def test_emit_ptx_needs_the_gpu_target(moe_compile, checkpoint, tmp_path):
    proc = moe_compile("layer", "--model", checkpoint().path, "--layer", 1,
                       "--emit=ptx", "--output", tmp_path / "l.ptx")
    assert_fails_naming(proc, "--emit=ptx", "--target cuda")


def test_unknown_gpu_arch_is_refused(moe_compile, checkpoint, tmp_path):
    proc = compile_ptx(moe_compile, checkpoint().path, 1, "sm_75", tmp_path / "l.ptx")
    assert_fails_naming(proc, "sm_75", "sm_80", "sm_90")
    assert not (tmp_path / "l.ptx").exists()


# ------------------------------------------------- the compiler-free runner

def moec_run_layer() -> Path:
    return Path(os.environ["MOEC_BIN_DIR"]) / "moec-run-layer"


def moec_run_model() -> Path:
    return Path(os.environ["MOEC_BIN_DIR"]) / "moec-run-model"


@pytest.mark.parametrize("runner", ["moec-run-layer", "moec-run-model"])
def test_runner_needs_no_llvm_or_mlir(runner):
    """What a GPU machine without the compiler runs: the runners, the runtime
    library and a module; none of them may need LLVM or MLIR."""
    ldd = subprocess.run(["ldd", str(Path(os.environ["MOEC_BIN_DIR"]) / runner)],
                         capture_output=True, text=True)
    assert ldd.returncode == 0, ldd.stderr
    assert "libmoec_runtime" in ldd.stdout
    for lib in ("libLLVM", "libMLIR", "libcuda"):
        assert lib not in ldd.stdout, ldd.stdout


@pytest.mark.parametrize("options", [GQA, MLA_MODELS["v2"]], ids=["gqa", "v2"])
def test_model_runner_runs_a_cpu_module(moe_compile, checkpoint, tmp_path, options):
    """moec-run-model: the prompt's logits and greedy decode steps from an
    ahead-of-time module, against the reference; --timing (a warm-up run in
    a session of its own, then the times on stderr) changes neither."""
    ckpt = checkpoint(**options)
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--output", module)
    assert proc.returncode == 0, proc.stderr
    ids = prompt_ids(ckpt.config, 7, seed=3)
    run = subprocess.run([str(moec_run_model()), "--model", str(ckpt.path), "--module",
                          str(module), "--prompt-ids", ",".join(map(str, ids)),
                          "--output", str(tmp_path / "l.npy"), "--new-tokens", "5",
                          "--steps-output", str(tmp_path / "s.npy"), "--timing"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "prefill of 7 tokens, " in run.stderr, run.stderr
    assert "4 decode steps, " in run.stderr, run.stderr
    assert_close_rows(np.load(tmp_path / "l.npy"),
                      R.model_forward(ckpt.weights, ckpt.config, ids))
    tokens = [int(t) for t in run.stdout.split()]
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, ids, 5)
    assert_greedy_matches(tokens, ref, margins)
    steps = np.load(tmp_path / "s.npy")
    assert steps.shape == (5, ckpt.config["vocab_size"])
    assert (steps.argmax(axis=1) == tokens).all()


def test_model_runner_refuses_bad_arguments(checkpoint, tmp_path):
    runner = str(moec_run_model())
    model = str(checkpoint().path)
    for args, names in [
        ([], ["--model", "--module", "--prompt-ids", "--output"]),
        (["--model", model, "--module", "m.so", "--prompt-ids", "1,x",
          "--output", str(tmp_path / "l.npy")], ["--prompt-ids", "1,x"]),
        (["--model", model, "--module", "m.so", "--prompt-ids", "1",
          "--output", str(tmp_path / "l.npy"), "--new-tokens", "2"], ["--steps-output"]),
        (["--model", model, "--module", model, "--prompt-ids", "1",
          "--output", model + "/config.json"], ["refusing to overwrite"]),
    ]:
        run = subprocess.run([runner, *args], capture_output=True, text=True, timeout=60)
        assert run.returncode == 1, (args, run.stderr)
        for name in names:
            assert name in run.stderr, run.stderr
    assert not (tmp_path / "l.npy").exists()


@pytest.mark.parametrize("target", ["cpu", pytest.param("cuda", marks=needs_toolkit)])
def test_layer_module_ldd(moe_compile, checkpoint, tmp_path, target):
    module = tmp_path / "layer.so"
    args = ["--target", "cuda"] if target == "cuda" else []
    proc = moe_compile("layer", "--model", checkpoint().path, "--layer", 1,
                       "--output", module, *args)
    assert proc.returncode == 0, proc.stderr
    ldd = subprocess.run(["ldd", str(module)], capture_output=True, text=True)
    for lib in ("libLLVM", "libMLIR", "libcuda", "libcudart"):
        assert lib not in ldd.stdout, ldd.stdout
    symbols = subprocess.run(["nm", "-D", str(module)], capture_output=True,
                             text=True).stdout
    assert ("moec_gpu_arch" in symbols) == (target == "cuda")


def test_runner_runs_a_cpu_module(moe_compile, checkpoint, tmp_path):
    ckpt = checkpoint(**WIDE)
    module = tmp_path / "layer.so"
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 1, "--output", module)
    assert proc.returncode == 0, proc.stderr
    x = np.random.default_rng(5).normal(size=(9, ckpt.config["hidden_size"]))
    x = x.astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    run = subprocess.run([str(moec_run_layer()), "--model", str(ckpt.path), "--layer", "1",
                          "--module", str(module), "--input", str(tmp_path / "x.npy"),
                          "--output", str(tmp_path / "y.npy"), "--repeat", "2"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "us per call" in run.stderr
    assert_close_rows(np.load(tmp_path / "y.npy"),
                      R.mlp_block(ckpt.weights, ckpt.config, 1, x.astype(np.float64)))


def driver_loads() -> bool:
    """Whether the dynamic loader finds a CUDA driver, wherever it lives (an
    empty LD_LIBRARY_PATH does not hide one the loader's cache knows)."""
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def driver_env(tmp_path: Path, stub: bool) -> tuple[dict, str]:
    """An environment whose libcuda.so.1 is missing, or the toolkit's stub,
    and what a GPU run must report there; skips where neither can be had."""
    if stub and not (CUDA_TOOLKIT / "lib64" / "stubs" / "libcuda.so").exists():
        pytest.skip(f"no CUDA toolkit stub library in {CUDA_TOOLKIT}/lib64/stubs")
    if not stub and driver_loads():
        pytest.skip("this machine has a CUDA driver")
    env = dict(os.environ)
    libs = tmp_path / "libs"
    libs.mkdir(exist_ok=True)
    if stub:
        (libs / "libcuda.so.1").symlink_to(CUDA_TOOLKIT / "lib64" / "stubs" / "libcuda.so")
    env["LD_LIBRARY_PATH"] = str(libs)
    return env, "CUDA_ERROR_STUB_LIBRARY" if stub else "no CUDA driver"


def assert_each_fails_without_a_gpu(runs: list[list[str]], env: dict, want: str,
                                    output: Path) -> None:
    """Each command exits 1 naming `want` and CUDA, with no traceback, no
    standard output and no `output` file."""
    for cmd in runs:
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 1, (cmd, run.returncode, run.stderr)
        assert want in run.stderr, run.stderr
        assert "CUDA" in run.stderr and "Traceback" not in run.stderr
        assert not output.exists() and run.stdout == ""


@needs_toolkit
@pytest.mark.parametrize("stub", [False, True], ids=["no-driver", "stub-driver"])
def test_gpu_module_without_a_gpu_fails_clearly(moe_compile, checkpoint, tmp_path, stub):
    env, want = driver_env(tmp_path, stub)
    ckpt = checkpoint()
    module = tmp_path / "layer.so"
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 1, "--target", "cuda",
                       "--output", module)
    assert proc.returncode == 0, proc.stderr
    x = np.zeros((3, ckpt.config["hidden_size"]), np.float32)
    np.save(tmp_path / "x.npy", x)
    runs = [
        [str(moec_run_layer()), "--model", str(ckpt.path), "--layer", "1", "--module",
         str(module), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")],
        [str(Path(os.environ["MOEC_BIN_DIR"]) / "moe-run"), "layer", "--model",
         str(ckpt.path), "--layer", "1", "--module", str(module), "--input",
         str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")],
        [str(Path(os.environ["MOEC_BIN_DIR"]) / "moe-run"), "layer", "--model",
         str(ckpt.path), "--layer", "1", "--target", "cuda", "--input",
         str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")],
    ]
    assert_each_fails_without_a_gpu(runs, env, want, tmp_path / "y.npy")


@needs_toolkit
@pytest.mark.parametrize("stub", [False, True], ids=["no-driver", "stub-driver"])
def test_gpu_model_without_a_gpu_fails_clearly(moe_compile, checkpoint, tmp_path, stub):
    """A whole model for the GPU, ahead of time or compiled by moe-run, ends
    with the driver's reason and no output where there is no GPU."""
    env, want = driver_env(tmp_path, stub)
    ckpt = checkpoint()
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--target", "cuda", "--output", module)
    assert proc.returncode == 0, proc.stderr
    symbols = subprocess.run(["nm", "-D", str(module)], capture_output=True, text=True).stdout
    assert "moec_gpu_arch" in symbols
    moe_run = str(Path(os.environ["MOEC_BIN_DIR"]) / "moe-run")
    out = tmp_path / "logits.npy"
    runs = [
        [moe_run, "logits", "--model", str(ckpt.path), "--prompt-ids", "1,2,3",
         "--module", str(module), "--output", str(out)],
        [moe_run, "logits", "--model", str(ckpt.path), "--prompt-ids", "1,2,3",
         "--target", "cuda", "--output", str(out)],
        [moe_run, "generate", "--model", str(ckpt.path), "--prompt-ids", "1,2,3",
         "--module", str(module)],
    ]
    assert_each_fails_without_a_gpu(runs, env, want, out)


def fake_driver_env(tmp_path: Path) -> tuple[dict, Path]:
    """An environment whose libcuda.so.1 is the fake driver
    (test/unit/FakeCUDADriver.c: host memory, no kernel runs), and the file
    where it reports its counts when the process ends."""
    fake = Path(os.environ.get("MOEC_FAKE_CUDA_DIR", ""))
    if not (fake / "libcuda.so.1").exists():
        pytest.skip("no fake CUDA driver built (set MOEC_FAKE_CUDA_DIR)")
    report = tmp_path / "driver.json"
    report.unlink(missing_ok=True)
    return dict(os.environ, LD_LIBRARY_PATH=str(fake), FAKE_CUDA_REPORT=str(report)), report


def run_on_fake_driver(cmd: list, env: dict, report: Path) -> tuple[str, dict]:
    """Runs `cmd`; its standard output and the driver's counts, after
    checking what every run must do: no copy to the host while kernels
    could still write it, and every stream it made destroyed."""
    run = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    counts = json.loads(report.read_text())
    assert counts["hazards"] == 0, counts
    assert counts["streamsDestroyed"] == counts["streamsCreated"], counts
    return run.stdout, counts


@needs_toolkit
def test_gpu_model_queues_each_step_on_a_fake_driver(moe_compile, checkpoint, tmp_path):
    """A GPU model's host side on a fake driver: every forward pass,
    embedding to head, is queued on one stream and waited for once, not once
    per function, on a stream kept from step to step."""
    env, report = fake_driver_env(tmp_path)
    ckpt = checkpoint()
    module = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--target", "cuda",
                       "--gpu-arch", "sm_90", "--output", module)
    assert proc.returncode == 0, proc.stderr
    cmd = [Path(os.environ["MOEC_BIN_DIR"]) / "moe-run", "generate", "--model", ckpt.path,
           "--module", module, "--prompt-ids", "1,2,3,4,5", "--max-new-tokens", "4"]
    out, counts = run_on_fake_driver(cmd, env, report)
    steps = len(out.split())
    assert steps == 4, out
    layers = ckpt.config["num_hidden_layers"]
    assert counts["synchronizations"] == steps, (counts, steps)
    assert counts["launches"] >= steps * (layers + 2), counts
    assert counts["streamsCreated"] <= 2, counts
    # Decode steps allocate no device memory outside stream order.
    _, fewer = run_on_fake_driver(cmd[:-1] + ["2"], env, report)
    assert fewer["allocations"] == counts["allocations"], (fewer, counts)
    # A failed launch, or a kernel fault found when the step is waited for,
    # ends the run naming it, whichever copy of the runtime met it.
    for fault, want in [("FAKE_CUDA_FAIL_LAUNCH", "CUDA_ERROR_LAUNCH_FAILED"),
                        ("FAKE_CUDA_FAIL_SYNC", "CUDA_ERROR_ILLEGAL_ADDRESS")]:
        failing = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                                 env=dict(env, **{fault: "1"}), timeout=300)
        assert failing.returncode == 1, (fault, failing.stderr)
        assert want in failing.stderr and failing.stdout == "", (fault, failing.stderr)


@needs_toolkit
def test_gpu_runners_on_a_fake_driver(moe_compile, checkpoint, tmp_path):
    """What a GPU machine without the compiler runs (moec-run-layer and
    moec-run-model on ahead-of-time GPU modules), through their host side on
    a fake driver: each layer call waits once, the calls reuse one stream,
    and each of the model's forward passes waits once."""
    env, report = fake_driver_env(tmp_path)
    ckpt = checkpoint()
    layer = tmp_path / "layer.so"
    proc = moe_compile("layer", "--model", ckpt.path, "--layer", 1, "--target", "cuda",
                       "--gpu-arch", "sm_90", "--output", layer)
    assert proc.returncode == 0, proc.stderr
    np.save(tmp_path / "x.npy", np.ones((5, ckpt.config["hidden_size"]), np.float32))
    run_layer = [moec_run_layer(), "--model", ckpt.path, "--layer", 1, "--module", layer,
                 "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy", "--repeat"]
    _, counts = run_on_fake_driver(run_layer + [3], env, report)
    assert counts["synchronizations"] == 4 and counts["streamsCreated"] == 1, counts
    # Calls after the first allocate no device memory outside stream order.
    _, fewer = run_on_fake_driver(run_layer + [1], env, report)
    assert fewer["allocations"] == counts["allocations"], (fewer, counts)
    assert np.load(tmp_path / "y.npy").shape == (5, ckpt.config["hidden_size"])

    model = tmp_path / "model.so"
    proc = moe_compile("model", "--model", ckpt.path, "--target", "cuda",
                       "--gpu-arch", "sm_90", "--output", model)
    assert proc.returncode == 0, proc.stderr
    out, counts = run_on_fake_driver(
        [moec_run_model(), "--model", ckpt.path, "--module", model, "--prompt-ids",
         "1,2,3", "--output", tmp_path / "l.npy", "--new-tokens", 3, "--steps-output",
         tmp_path / "s.npy"], env, report)
    assert len(out.split()) == 3, out
    # The prompt, then at most one forward pass per new token.
    assert 2 <= counts["synchronizations"] <= 4, counts
    assert counts["streamsCreated"] <= 2, counts
    assert np.load(tmp_path / "l.npy").shape == (3, ckpt.config["vocab_size"])


# ------------------------------------------------------- on a GPU, if any

def gpu_missing_reason() -> str | None:
    """Why the kernels cannot run on a GPU here (None: they can)."""
    proc = subprocess.run([str(Path(os.environ["MOEC_BIN_DIR"]) / "moe-run"), "devices"],
                          capture_output=True, text=True)
    return None if proc.returncode == 0 else f"no CUDA GPU: {proc.stderr.strip()}"


@pytest.mark.parametrize("case", ["greedy-norm", "noaux-sigmoid-norm", "group-limited-scaled",
                                  "dense-first-layer", "t1", "t100", "idle-experts", "f32"])
def test_layer_runs_on_the_gpu(moe_run, checkpoint, tmp_path, case):
    """The compiled kernels on GPU 0 against the reference (skipped, saying
    why, where there is no driver or device; utils/gpu-check.py runs the same
    check where there is a GPU but no compiler)."""
    reason = gpu_missing_reason()
    if reason:
        pytest.skip(reason)
    c = CASES[case]
    ckpt = checkpoint(**c.options)
    x = (np.random.default_rng(c.tokens).normal(size=(c.tokens, ckpt.config["hidden_size"]))
         + c.input_offset).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = moe_run("layer", "--model", ckpt.path, "--layer", c.layer, "--target", "cuda",
                   "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert proc.returncode == 0, proc.stderr
    assert_close_rows(np.load(tmp_path / "y.npy"),
                      R.mlp_block(ckpt.weights, ckpt.config, c.layer, x.astype(np.float64)))


@pytest.mark.parametrize("options", [GQA, MLA_MODELS["v3-yarn-q-lora"]], ids=["gqa", "v3"])
def test_model_runs_on_the_gpu(moe_run, checkpoint, tmp_path, options):
    """The whole model on GPU 0: a prefill's logits against the reference,
    and decode steps against the KV cache on the device (skipped, saying why,
    where there is no GPU)."""
    reason = gpu_missing_reason()
    if reason:
        pytest.skip(reason)
    ckpt = checkpoint(**options)
    ids = prompt_ids(ckpt.config, 13)
    logits = run_logits(moe_run, ckpt.path, ids, tmp_path, "--target", "cuda")
    assert_close_rows(logits, R.model_forward(ckpt.weights, ckpt.config, ids))
    prompt = ids[:6]
    tokens, steps = run_generate(moe_run, ckpt.path, prompt, 8, tmp_path, "--target", "cuda")
    ref, margins = R.greedy_generate(ckpt.weights, ckpt.config, prompt, 8)
    assert_greedy_matches(tokens, ref, margins)
