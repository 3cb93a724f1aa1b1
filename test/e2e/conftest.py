"""Fixtures shared by the end-to-end tests: moec's tools and generated checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

# The checkpoint generator and the numpy safetensors reader live in utils/.
UTILS = Path(__file__).resolve().parents[2] / "utils"
sys.path.insert(0, str(UTILS))

from make_checkpoint import make_checkpoint  # noqa: E402
from safetensors_io import load_model  # noqa: E402


def _tool(name: str) -> Callable[..., subprocess.CompletedProcess]:
    # A missing tool fails the test rather than skipping it, so that a suite
    # run without the tools cannot pass by testing nothing.
    bin_dir = os.environ.get("MOEC_BIN_DIR")
    if not bin_dir:
        pytest.fail(f"MOEC_BIN_DIR is not set; set it to the directory holding {name} "
                    "(e.g. build/bin) to run the end-to-end tests")
    binary = Path(bin_dir) / name
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"MOEC_BIN_DIR={bin_dir} holds no executable {name}")

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run([str(binary), *map(str, args)], capture_output=True,
                              text=True, timeout=120)
    return run


@pytest.fixture(scope="session")
def moe_run() -> Callable[..., subprocess.CompletedProcess]:
    """Runs moe-run with the given arguments, capturing its output."""
    return _tool("moe-run")


@pytest.fixture(scope="session")
def moe_compile() -> Callable[..., subprocess.CompletedProcess]:
    """Runs moe-compile with the given arguments, capturing its output."""
    return _tool("moe-compile")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    config: dict
    weights: dict


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Callable[..., Checkpoint]:
    """make_checkpoint(**options), generated once per session and options."""
    cache: dict[tuple, Checkpoint] = {}

    def get(**options) -> Checkpoint:
        key = json.dumps(options, sort_keys=True)
        if key not in cache:
            path = tmp_path_factory.mktemp("checkpoint")
            config = make_checkpoint(path, **options)
            cache[key] = Checkpoint(path, config, load_model(path))
        return cache[key]
    return get
