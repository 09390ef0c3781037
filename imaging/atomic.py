"""Files replaced whole: a reader, a crash or Ctrl-C sees the old file or the new one, never half
of one."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file of this process
    (``.NAME.PID.tmp`` beside it), moved into place in one rename; the temporary file is removed
    whatever stops the write. Returns ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
