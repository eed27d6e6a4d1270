"""Folders for SHAPE (of any tensor: shapes are static) and for elementwise arithmetic on constants: ADD, SUB,
MUL, DIV, SQUARED_DIFFERENCE on int32 or float32 tensors (the shape arithmetic of dynamic-shape exports), MAXIMUM and
MINIMUM on any type (TFLM compares raw values, int8 included), PRELU on float32.

numpy computes what TFLM's kernels do for these: IEEE float32 operations one at a time, then the fused
activation's clamp; wrapping int32 arithmetic, then the bounds TFLM applies (quant.activation_range_int32).
Quantized arithmetic on constants is not folded: it stays in the graph and runs on the device.
"""

from __future__ import annotations

import numpy as np

from ...model import Operator
from .. import quant
from ..context import Context
from ..fold import NUMPY, constant
from ..registry import folder


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """float32 division; int32 truncating toward zero as C++, wrapping INT32_MIN / -1. None (not folded: the
    device's kernel decides) for an int32 zero divisor."""
    if a.dtype != np.int32:
        return a / b
    if np.any(b == 0):
        return None
    wide_a, wide_b = a.astype(np.int64), b.astype(np.int64)
    quotient = np.abs(wide_a) // np.abs(wide_b) * np.sign(wide_a) * np.sign(wide_b)
    return quotient.astype(np.int32)  # wraps 2^31 to INT32_MIN


_ARITHMETIC = {
    "ADD": np.add,
    "SUB": np.subtract,
    "MUL": np.multiply,
    "SQUARED_DIFFERENCE": lambda a, b: (a - b) * (a - b),
    "MAXIMUM": lambda a, b: np.where(a > b, a, b),
    "MINIMUM": lambda a, b: np.where(a < b, a, b),
    "PRELU": lambda a, b: np.where(a >= 0, a, a * b),
    "DIV": _divide,
}
#: The types each folds: exact in numpy as in TFLM's kernel.
_TYPES = (
    dict.fromkeys(("ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE"), ("int32", "float32"))
    | dict.fromkeys(("MAXIMUM", "MINIMUM"), ("int8", "int16", "int32", "float32"))
    | {"PRELU": ("float32",)}
)


@folder("SHAPE")
def fold_shape(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    out = ctx.tensor(op.outputs[0])
    if out.dtype not in ("int32", "int64"):
        return None
    return {op.outputs[0]: np.asarray(ctx.tensor(op.inputs[0]).shape, dtype=NUMPY[out.dtype])}


@folder(*_ARITHMETIC)
def fold_arithmetic(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return None
    a, b, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    act = int(op.options.get("fused_activation_function", 0))
    if not a.dtype == b.dtype == out.dtype or out.dtype not in _TYPES[op.opcode]:
        return None
    if act not in quant.SUPPORTED_ACTIVATIONS:
        return None
    with np.errstate(all="ignore"):
        values = _ARITHMETIC[op.opcode](constant(ctx, op.inputs[0]), constant(ctx, op.inputs[1]))
    if values is None or values.shape != out.shape:
        return None
    if out.dtype == "float32" and op.opcode in ("ADD", "SUB", "MUL", "DIV"):
        lo, hi = (np.float32(v) for v in quant.activation_range_float(act))
        values = np.minimum(np.maximum(values, lo), hi)
    elif out.dtype == "int32" and op.opcode in ("ADD", "SUB", "MUL", "DIV"):
        values = np.clip(values, *quant.activation_range_int32(op.opcode, act))
    return {op.outputs[0]: values}
