"""Locate the data folders (``boards/``, ``firmware_templates/``) in a wheel or a source checkout.

A wheel carries them inside the package as ``tinyflash/_data/<name>``; a source checkout (editable
install, tests) has them at the repository top level, where people edit them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from .errors import TinyflashError

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise TinyflashError(
        f"tinyflash's '{name}' data folder is missing from the installation",
        "reinstall tinyflash (pip install --force-reinstall tinyflash)",
    )


@cache
def templates() -> jinja2.Environment:
    """The Jinja environment for ``firmware_templates/``: strict (a missing value is an error), C++ not HTML."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("firmware_templates"))),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # C++, not HTML
    )
