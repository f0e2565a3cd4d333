"""The process that joins a book's parts (``merge.Joined``), in the background so the EPUB
is packaged meanwhile.

Unless the build takes nothing from before (``--force``), the process is kept after its
join, one per output (a language's edition; ``KEPT`` at most), with the joined PDF in its
memory: in a live process (``build --watch``, ``serve``'s paged view) the next build's join
copies into it only the parts that changed, and the join of a 1,000-page book takes a
part's time instead of the whole book's. A one-shot build's process ends with it. A process
that failed is closed; one that died meanwhile (the system killed it) is replaced at the
next build. A kept process ends when it reads the end of its pipe: when this process
closes it, or exits or dies in any way.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ....errors import Failure
from ....outputs import UNTOUCHED
from .. import merge
from .workers import death, report_failure

KEPT = 4  # joins kept: the PDFs of a book's languages and editions


@dataclass
class Request:
    files: list[Path]
    owned: list[set[str]]
    label_ranges: list[tuple[int, str, object]]
    target: Path
    direction: str
    changes: list  # one entry a file (renumber.Changes or None)


def serve(conn: Connection, inherited: list[Connection]) -> None:
    """In the joining process: join each request, keeping the joined parts for the next.
    ``inherited``: the other ends of this and every kept process's pipe, copied by the fork
    and closed here, so that each process sees the end of its pipe when its parent closes it
    or dies."""
    for other in inherited:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    joined: merge.Joined | None = None
    while True:
        try:
            request: Request = conn.recv()
        except EOFError:
            return
        try:
            files, owned, changes = request.files, request.owned, request.changes
            key = merge.part_key(files[0], owned[0], changes[0])
            if joined is None or joined.worn() or (joined.key, joined.direction) != (key, request.direction):
                joined = None  # freed before the next is made
                joined = merge.Joined(files[0], owned[0], changes[0], key)
            try:
                data = joined.join(files, owned, request.label_ranges, request.direction, changes)
            except merge.Stale:
                joined = None
                joined = merge.Joined(files[0], owned[0], changes[0], key)
                data = joined.join(files, owned, request.label_ranges, request.direction, changes)
            request.target.write_bytes(data)
            conn.send(("joined", joined.copied))
        except BaseException as exc:
            joined = None  # half joined: made afresh next time
            report_failure(conn, exc)
            if not isinstance(exc, Exception):
                raise


@dataclass
class _Process:
    process: multiprocessing.Process
    conn: Connection

    @classmethod
    def start(cls) -> _Process:
        context = multiprocessing.get_context("fork")
        mine, theirs = context.Pipe()
        inherited = [mine, *(p.conn for p in _LIVE.values()), *(p.conn for p in _pending)]
        process = context.Process(target=serve, args=(theirs, inherited), daemon=True)
        process.start()
        theirs.close()
        return cls(process, mine)

    def close(self) -> None:
        self.conn.close()  # it exits when it reads the end of the pipe
        if self in _pending:
            _pending.remove(self)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


_LIVE: OrderedDict[str, _Process] = OrderedDict()
_pending: list[_Process] = []  # joining: their results not taken yet
copied: deque[int] = deque(maxlen=16)  # how many parts the last joins copied (tests)


def join(request: Request, keep_as: str | None) -> Callable[[], None]:
    """Start joining ``request`` (in the process kept as ``keep_as``, if any); returns the
    function that waits for the PDF and raises what went wrong."""
    for lost in list(_pending):  # a build that failed before it took its join's result
        lost.close()
    joiner = _LIVE.pop(keep_as, None) if keep_as is not None else None
    if joiner is not None and not joiner.process.is_alive():
        joiner.close()
        joiner = None
    if joiner is None:
        joiner = _Process.start()
    try:
        joiner.conn.send(request)
    except OSError:  # it died just now (BrokenPipeError): another one
        joiner.close()
        joiner = _Process.start()
        joiner.conn.send(request)
    _pending.append(joiner)
    result: list[tuple] = []

    def written() -> None:
        if not result:
            try:
                result.append(joiner.conn.recv())
            except EOFError:
                result.append(("died",))
            if joiner in _pending:
                _pending.remove(joiner)
            if result[0][0] == "joined":
                copied.append(result[0][1])
            if result[0][0] == "joined" and keep_as is not None:
                _LIVE[keep_as] = joiner
                while len(_LIVE) > KEPT:
                    _LIVE.popitem(last=False)[1].close()
            else:
                joiner.close()
        kind = result[0][0]
        target = request.target
        if kind == "died":
            raise Failure(
                f"joining the parts of {target.name} failed: {death(joiner.process.exitcode)}; {UNTOUCHED}"
            )
        if kind == "failure":
            raise Failure(result[0][1])
        if kind == "oserror":
            raise OSError(*result[0][1:])
        if kind == "bug":
            if result[0][2]:
                raise Failure(f"joining the parts of {target.name} failed: it ran out of memory; {UNTOUCHED}")
            raise RuntimeError(f"joining the parts failed:\n{result[0][1]}")

    return written


def stop() -> None:
    """End the kept joining processes (tests; a live process ends them as it exits)."""
    while _LIVE:
        with contextlib.suppress(OSError):
            _LIVE.popitem()[1].close()
