"""Fails if a hot loop of x86 assembly (from llc, on stdin) spills.

A hot loop is a basic block with at least --min-fma FMA instructions: the
k-loops of the kernels' register tiles. llc marks every spill and reload
with a "Spill"/"Reload" comment. Finding no hot loop is a failure too, so
that the check cannot pass vacuously.
"""

import argparse
import re
import sys

LABEL = re.compile(r"^(\.LBB\S+:|# %bb\.)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-fma", type=int, required=True)
    args = parser.parse_args()
    blocks, current = [], []
    for line in sys.stdin:
        if LABEL.match(line) and current:
            blocks.append(current)
            current = []
        current.append(line)
    blocks.append(current)
    hot = spilling = 0
    for block in blocks:
        fmas = sum("vfmadd" in line for line in block)
        if fmas < args.min_fma:
            continue
        hot += 1
        spills = sum("Spill" in line or "Reload" in line for line in block)
        if spills:
            spilling += 1
            print(f"{block[0].strip()}: {fmas} FMAs, {spills} spills or reloads")
    print(f"{hot} hot loops, {spilling} spilling")
    return 0 if hot and not spilling else 1


if __name__ == "__main__":
    sys.exit(main())
