"""Every function and type that moec/runtime.h declares has a doc comment
(/** ... */) right before it, or shares one with the declarations above it
in a group that starts with a comment."""
import re
import sys

text = open(sys.argv[1]).read()
lines = text.splitlines()
declaration = re.compile(r"^(?:typedef\s+)?[a-z][\w\s\*]*\(?\**(moec_\w+)\s*[\(\)]")
undocumented = []
for i, line in enumerate(lines):
    m = declaration.match(line)
    if not m:
        continue
    above = lines[i - 1].rstrip() if i else ""
    if not above.endswith("*/"):
        undocumented.append(f"line {i + 1}: {m.group(1)}")
if undocumented:
    sys.exit("undocumented in " + sys.argv[1] + ":\n  " + "\n  ".join(undocumented))
count = sum(bool(declaration.match(line)) for line in lines)
print(f"{count} declarations, each with its documentation")
