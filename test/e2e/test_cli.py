"""The tools' command lines: what --help shows and how a missing subcommand ends."""

from __future__ import annotations

import re

import pytest

from conftest import _tool

SUBCOMMANDS = {
    "moe-run": ["generate", "logits", "layer", "tokenize"],
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
