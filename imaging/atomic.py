"""Files replaced whole: a reader, a crash or Ctrl-C sees the old file or the new one, never half
of one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary)`` to write a temporary file of this process (``.NAME.PID.tmp``
    beside ``path``), then move it into place in one rename; the temporary file is removed
    whatever stops the write. Returns ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`replace_atomically`. Returns ``path``."""
    return replace_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
