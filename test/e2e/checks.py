"""Assertions shared by the end-to-end tests."""

from __future__ import annotations

import subprocess

import numpy as np


def assert_close_rows(y: np.ndarray, ref: np.ndarray, rows=slice(None)) -> None:
    """Each token's output row must agree with the reference.

    Per row rather than over the whole output: tokens are computed
    independently, and one wrongly routed token (or a mishandled tail tile)
    among 100 would hide in an overall norm. moec computes in f32 with
    reductions over at most a few hundred terms, so its relative error is
    ~1e-6; 1e-4 relative to the row norm (reference section 5) leaves a wide
    margin yet catches a wrong expert or weight, which changes a row by O(1).
    The 1e-6 floor admits rounding in rows whose exact result is ~0.
    """
    err = np.linalg.norm(y[rows] - ref[rows], axis=-1)
    bound = 1e-4 * np.linalg.norm(ref[rows], axis=-1) + 1e-6
    worst = int(np.argmax(err / bound))
    assert (err <= bound).all(), (
        f"{int((err > bound).sum())} rows differ from the reference; worst row "
        f"{np.arange(len(ref))[rows][worst]}: |y - ref| = {err[worst]:.3g}, "
        f"allowed {bound[worst]:.3g}")


def assert_fails_naming(proc: subprocess.CompletedProcess, *words: str) -> None:
    """The tool must exit with a positive status (no crash, no signal) and name
    the problem: every word appears in stderr, case-insensitively."""
    assert proc.returncode > 0, (
        f"expected an error exit, got {proc.returncode}; stderr: {proc.stderr}")
    for word in words:
        assert word.lower() in proc.stderr.lower(), (
            f"stderr should mention {word!r}: {proc.stderr}")
