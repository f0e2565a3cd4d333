"""The earlier version a review edition compares with: a git revision of the project, read
with git without a checkout, or the directory of an earlier copy."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import Failure


@dataclass(frozen=True)
class Earlier:
    project: Path  # a directory with the earlier book.yaml
    ref: str  # as given on the command line
    commit: str | None = None  # the revision's commit, when REF is one


def _git(cwd: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=False)


@contextlib.contextmanager
def earlier(project: Path, ref: str) -> Iterator[Earlier]:
    """The earlier version named by ``ref``: a directory is used as it is; a git revision's
    files under the project's directory are written into a temporary directory, removed
    afterwards. Raises Failure (one line) when ``ref`` is neither."""
    path = Path(ref).expanduser()
    if path.is_dir():
        if not (path / "book.yaml").is_file():
            raise Failure(f"--compare {ref}: {path} has no book.yaml")
        yield Earlier(path.resolve(), ref)
        return
    project = project.resolve()
    top = _git(project, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise Failure(f"--compare {ref}: not a directory, and {project} is not in a git repository")
    found = _git(project, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise Failure(f"--compare {ref}: git knows no such revision, and there is no such directory")
    commit = found.stdout.decode().strip()
    prefix = _git(project, "rev-parse", "--show-prefix").stdout.decode().strip()
    root = Path(top.stdout.decode().strip())
    listed = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix or ".")
    entries = []  # (blob, path under the project)
    for line in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not line:
            continue
        info, name = line.split("\t", 1)
        mode, kind, blob = info.split()
        if kind == "blob" and mode != "120000":  # no symlinks: they could point anywhere
            entries.append((blob, name[len(prefix) :]))
    if not any(name == "book.yaml" for _, name in entries):
        raise Failure(f"--compare {ref}: revision {commit[:12]} has no {prefix}book.yaml")
    # every blob in one git process: cat-file --batch answers "<sha> blob <size>\n<data>\n"
    batch = _git(root, "cat-file", "--batch", data="".join(f"{b}\n" for b, _ in entries).encode())
    if batch.returncode != 0:
        raise Failure(f"--compare {ref}: git could not read revision {commit[:12]}")
    out = batch.stdout
    with tempfile.TemporaryDirectory(prefix="msl-book-review-") as tmp:
        base = Path(tmp) / "book"
        offset = 0
        for _, name in entries:
            end = out.index(b"\n", offset)
            size = int(out[offset:end].split()[2])
            data = out[end + 1 : end + 1 + size]
            offset = end + 1 + size + 1
            target = base / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield Earlier(base, ref, commit)
