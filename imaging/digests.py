"""A file's SHA-256 with the size and modification time it had when hashed: the batch's record of
its inputs (rerun detection, provenance) and the report's checksums of what it delivers."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any


@dataclass(frozen=True)
class FileDigest:
    """A file's SHA-256 with the size and modification time it had when hashed.

    A later run reuses the digest when size and ``mtime_ns`` are unchanged (as ``git`` and
    ``make`` do) and hashes the file again otherwise.
    """

    path: str
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileDigest:
        """Hash ``path`` now (reads the whole file). A special file (``/dev/zero``, a FIFO) is
        never read: its digest is empty (its reader refuses it and says so in a failure row)."""
        stat = Path(path).stat()
        if not S_ISREG(stat.st_mode):
            return cls(str(path), stat.st_size, stat.st_mtime_ns, "")
        with Path(path).open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        return cls(str(path), stat.st_size, stat.st_mtime_ns, digest)

    def still_matches(self) -> bool:
        """True when the file still has the recorded size and modification time."""
        try:
            stat = Path(self.path).stat()
        except OSError:
            return False
        return stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileDigest:
        return cls(str(data["path"]), int(data["size"]), int(data["mtime_ns"]), str(data["sha256"]))
