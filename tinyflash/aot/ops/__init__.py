"""Op analyzers, implementations and generation-time folders; importing the package registers them all."""

from . import (
    activation,
    constant,
    conv,
    conv_dsp,
    elementwise,
    fully_connected,
    gather,
    matmul,
    movement,
    pool,
    reduce,
    resize,
    shape,
    svdf,
    transpose_conv,
    variables,
)

__all__ = [
    "activation",
    "constant",
    "conv",
    "conv_dsp",
    "elementwise",
    "fully_connected",
    "gather",
    "matmul",
    "movement",
    "pool",
    "reduce",
    "resize",
    "shape",
    "svdf",
    "transpose_conv",
    "variables",
]
