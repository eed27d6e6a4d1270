"""Op analyzers and implementations; importing the package registers them all."""

from . import conv, conv_dsp, elementwise, fully_connected, pool, shape

__all__ = ["conv", "conv_dsp", "elementwise", "fully_connected", "pool", "shape"]
