"""Ahead-of-time runtime: compile a .tflite graph into dependency-free C++ that computes exactly what
TFLM's reference kernels compute, with kernels chosen per op for the board's target features. See
docs/aot.md for the design and the exactness notes."""

from .context import AotUnsupported, Problem
from .generate import SOURCE_NAME, SUPPORTED_OPS, AotResult, OpChoice, generate, unsupported_ops
from .target import GENERIC, Target, target_of

__all__ = [
    "GENERIC",
    "SOURCE_NAME",
    "SUPPORTED_OPS",
    "AotResult",
    "AotUnsupported",
    "OpChoice",
    "Problem",
    "Target",
    "generate",
    "target_of",
    "unsupported_ops",
]
