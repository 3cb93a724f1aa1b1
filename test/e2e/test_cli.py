"""The tools' command lines: what --help shows and how a missing subcommand ends."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import _tool

SUBCOMMANDS = {
    "moe-run": ["generate", "logits", "layer", "tokenize", "devices"],
    "moe-compile": ["model", "layer"],
    "moe-bench": ["layer", "model"],
}


@pytest.mark.parametrize("tool", sorted(SUBCOMMANDS))
def test_help_lists_the_subcommands_and_nothing_of_llvm(tool):
    run = _tool(tool)
    top = run("--help")
    assert top.returncode == 0, top.stderr
    for sub in SUBCOMMANDS[tool]:
        assert re.search(rf"^  {sub} +- ", top.stdout, re.MULTILINE), sub
    # Options LLVM's libraries register for its own tools stay out of sight.
    for llvm_option in ("--aarch64-", "--x86-", "--enable-", "--print-after"):
        assert llvm_option not in top.stdout
    for sub in SUBCOMMANDS[tool]:
        text = run(sub, "--help")
        assert text.returncode == 0, text.stderr
        assert f"SUBCOMMAND '{sub}'" in text.stdout
        assert "--x86-" not in text.stdout


@pytest.mark.parametrize("tool", sorted(SUBCOMMANDS))
def test_no_subcommand_is_an_error(tool):
    proc = _tool(tool)()
    assert proc.returncode != 0
    assert "no subcommand given" in proc.stderr


def test_devices_lists_gpus_or_says_why_there_are_none():
    """With a driver and a GPU, one line per device; without (CI, the
    development machines), a non-zero exit naming what is missing, never a
    crash or a failure to start."""
    proc = _tool("moe-run")("devices")
    if proc.returncode == 0:
        assert re.match(r"CUDA driver \d+\.\d+, \d+ device", proc.stdout)
        assert re.search(r"^0: .*, sm_\d+, \d+ multiprocessors", proc.stdout,
                         re.MULTILINE)
    else:
        assert proc.returncode > 0
        assert "CUDA" in proc.stderr or "libcuda" in proc.stderr, proc.stderr


STUB = Path("/usr/local/cuda/lib64/stubs/libcuda.so")


@pytest.mark.skipif(not STUB.exists(), reason="no CUDA toolkit stub library "
                    "at /usr/local/cuda/lib64/stubs to stand in for a driver")
def test_devices_names_a_driver_that_cannot_start(tmp_path):
    """The toolkit's stub libcuda loads but cannot initialise: the error
    names the driver's result, not just a number."""
    (tmp_path / "libcuda.so.1").symlink_to(STUB)
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path))
    binary = Path(os.environ["MOEC_BIN_DIR"]) / "moe-run"
    proc = subprocess.run([str(binary), "devices"], capture_output=True,
                          text=True, timeout=60, env=env)
    assert proc.returncode == 1
    assert "cuInit failed: CUDA_ERROR_STUB_LIBRARY" in proc.stderr
