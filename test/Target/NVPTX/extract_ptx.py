"""Writes the PTX held by the gpu.binary ops of an MLIR module to stdout.

Reads moe-opt's output (moe-gpu-pipeline with format=isa) on stdin and
decodes the `assembly = "..."` strings of its #gpu.object attributes (MLIR
escapes: \\XX hex bytes, \\\\, \\"). Exits 1 if there is none.
"""
import re
import sys

text = sys.stdin.read()
objects = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if not objects:
    sys.exit("extract_ptx.py: no gpu.object with PTX assembly in the input")


def decode(s):
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\":
            nxt = s[i + 1]
            if nxt in '\\"':
                out += nxt.encode()
                i += 2
            else:
                out.append(int(s[i + 1:i + 3], 16))
                i += 3
        else:
            out += s[i].encode()
            i += 1
    return out.decode()


sys.stdout.write("".join(decode(o) for o in objects))
