"""Where outputs are written: into a staging directory inside the output directory, moved
into place only once every output of the build succeeded.

A failed build (bad input, a full disk, a killed worker) therefore leaves the previous
outputs exactly as they were. A problem with the output directory itself is a Failure with
one line of explanation, not a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import Failure

# Errors of writing, whichever file they name (a full disk often names none).
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS}
_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "a file is too large for the file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "it is a file, not a directory",
    errno.EEXIST: "it is a file, not a directory",
}
UNTOUCHED = "earlier outputs were left as they were"


def failure(exc: OSError, out_dir: Path) -> Failure:
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    if exc.errno == errno.ENOTDIR and not (out_dir.exists() and not out_dir.is_dir()):
        reason = "a folder on its path is a file"
    return Failure(f"cannot write the outputs to {out_dir}: {reason}; {UNTOUCHED}")


def _is_ours(exc: OSError, out_dir: Path) -> bool:
    """Whether an OSError is the output directory's: a write that failed there."""
    if exc.errno in _FULL:
        return True
    names = [n for n in (exc.filename, exc.filename2) if n]
    return exc.errno in _REFUSED and any(
        Path(os.fsdecode(n)).resolve().is_relative_to(out_dir) for n in names
    )


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A fresh directory inside ``out_dir`` for this build's files, removed afterwards."""
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(out_dir))
        out_dir.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=".msl-book-", dir=out_dir))
    except OSError as exc:
        raise failure(exc, out_dir) from None
    try:
        yield path
    except OSError as exc:
        if _is_ours(exc, out_dir):
            raise failure(exc, out_dir) from None
        raise
    finally:
        shutil.rmtree(path, ignore_errors=True)


def publish(files: list[Path], out_dir: Path) -> list[Path]:
    """Move the staged files into the output directory (a rename: nothing is half written)."""
    moved: list[Path] = []
    for file in files:
        dest = out_dir / file.name
        try:
            os.replace(file, dest)
        except OSError as exc:
            reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
            done = ", ".join(p.name for p in moved)
            kept = f"{done} replaced, the others left as they were" if moved else UNTOUCHED
            raise Failure(f"cannot write the outputs to {out_dir}: {reason}; {kept}") from None
        moved.append(dest)
    return moved
