"""Op analyzers and implementations; importing the package registers them all."""

from . import conv, elementwise, fully_connected, pool, shape

__all__ = ["conv", "elementwise", "fully_connected", "pool", "shape"]
