"""Ahead-of-time runtime: compile a .tflite graph into dependency-free C++ that computes exactly what
TFLM's reference kernels compute. See docs/aot.md for the design and the exactness notes."""

from .generate import SOURCE_NAME, SUPPORTED_OPS, AotResult, generate, unsupported_ops

__all__ = ["SOURCE_NAME", "SUPPORTED_OPS", "AotResult", "generate", "unsupported_ops"]
