"""The exceptions moec raises: each a moec.Error naming what is wrong."""


class Error(Exception):
    """Base of every error moec raises."""


class CompileError(Error):
    """moe-compile or moe-opt refused the input (their diagnostics follow)."""


class RunError(Error):
    """The runtime refused a call: a checkpoint, module, argument or state
    that does not fit (the message names which)."""


class InputError(Error, ValueError):
    """An argument of a Python call is out of range or of the wrong kind."""


class ToolNotFoundError(Error):
    """A moec tool (moe-compile, moe-opt) is not installed where moec looks."""
