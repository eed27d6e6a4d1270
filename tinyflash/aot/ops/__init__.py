"""Op analyzers, implementations and generation-time folders; importing the package registers them all."""

from . import constant, conv, conv_dsp, elementwise, fully_connected, gather, movement, pool, shape

__all__ = ["constant", "conv", "conv_dsp", "elementwise", "fully_connected", "gather", "movement", "pool", "shape"]
