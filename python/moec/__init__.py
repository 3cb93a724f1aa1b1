"""moec: run DeepSeek MoE models compiled by the moec MLIR compiler.

    import moec
    model = moec.Model.load("path/to/checkpoint")      # compiles, then loads
    for token in model.generate([1, 2, 3], max_new_tokens=8):
        print(token)
    logits = model.logits([1, 2, 3])                  # [3, vocab] float32

moec.compile writes an ahead-of-time artifact that Model.load takes later
(or elsewhere) without compiling; moec.opt runs moe-opt pipelines on MLIR
text. Every error is a moec.Error.
"""
from ._errors import (CompileError, Error, InputError, RunError,
                      ToolNotFoundError)
from ._model import Model, Session, Tokenizer
from ._runtime import API_VERSION
from ._tools import compile, opt

__all__ = ["API_VERSION", "CompileError", "Error", "InputError", "Model",
           "RunError", "Session", "Tokenizer", "ToolNotFoundError", "compile",
           "opt"]
