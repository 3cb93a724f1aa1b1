# -*- Python -*-
import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MOEC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moec_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "e2e", "fuzz",
                   "package"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.moec_tools_dir, config.llvm_tools_dir]
tools = ["moe-opt", "mlir-translate", "opt", "llc"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# GPU code is compiled and checked with the CUDA toolkit (its ptxas and
# libdevice) where there is one (`REQUIRES: ptxas`); elsewhere those tests
# are reported unsupported.
ptxas = os.path.join(config.moec_cuda_toolkit, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
else:
    lit_config.note("no ptxas in %s: PTX is not assembled" % config.moec_cuda_toolkit)
config.substitutions.append(("%python", sys.executable))
