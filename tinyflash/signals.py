"""Signals as one exception, and sections a signal cannot cut in half.

SIGINT (Ctrl-C), SIGTERM (``timeout``, CI cancellation, ``docker stop``, systemd) and SIGHUP (a closed
terminal) all become :class:`~tinyflash.errors.Interrupted`, so every command cleans up the same way for
each of them. Inside :func:`shielded` a signal is held back until the section ends: cleanup runs to the
end even when a second signal arrives, and "print a line, then log it" is never split between the two.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import Interrupted

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_depth = 0
_pending: int | None = None
#: Set once the first signal has been raised: from then on the process is winding down, and later signals
#: must not cut its cleanup short (SIGKILL remains for anyone who cannot wait).
_delivered = False


def install() -> None:
    """Route the handled signals to :class:`Interrupted` (main thread only, as Python requires)."""
    global _delivered, _pending
    _delivered, _pending = False, None
    for signum in HANDLED:
        signal.signal(signum, _handler)


def _handler(signum: int, frame: object) -> None:
    global _pending, _delivered
    if _depth or _delivered:
        _pending = _pending or signum
        return
    _delivered = True
    raise Interrupted(signum)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold signals back until the block ends, then raise the first one that arrived."""
    global _depth, _pending, _delivered
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only ever delivered to the main thread
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None and not _delivered:
            signum, _pending = _pending, None
            _delivered = True
            raise Interrupted(signum)
