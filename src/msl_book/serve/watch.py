"""Which changes rebuild the preview: the project's files and the theme's, not its outputs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

from ..theme import Theme


class SourceFilter(watchfiles.DefaultFilter):
    """watchfiles' defaults (.git, .venv, __pycache__, editor swap files) plus the project's
    dist/ and hidden entries: outputs and tool state are not sources of the book."""

    def __init__(self, project: Path, ignore: Iterable[Path] = ()):
        super().__init__()
        self.project = project
        self.ignore = list(ignore)  # build --watch's output directory, wherever it is

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        if any(Path(path).is_relative_to(d) for d in self.ignore):
            return False
        try:
            parts = Path(path).relative_to(self.project).parts
        except ValueError:
            return True  # the theme's templates/ or styles/
        return not parts or (parts[0] != "dist" and not any(p.startswith(".") for p in parts))


def watch(
    project: Path,
    stop: threading.Event,
    ready: threading.Event,
    changed: Callable[[Iterable[str]], object],
    log: Callable[[str], None],
    ignore: Iterable[Path] = (),
) -> None:
    """Call ``changed(paths)`` after each save of a source of the book, until ``stop`` is set;
    ``ready`` is set once changes from then on will be seen. Changes under ``ignore`` are not
    sources."""
    roots = [project]
    default = Theme(project).default
    if default != project:
        roots += [d for d in (default / "templates", default / "styles") if d.is_dir()]
    try:
        for changes in watchfiles.watch(
            *roots,
            watch_filter=SourceFilter(project, ignore),
            stop_event=stop,
            step=50,  # rebuild 50 ms after the last change of a save
            rust_timeout=100,  # the first (empty) yield says the watcher is running
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            ready.set()
            if changes and not stop.is_set():
                changed(path for _, path in changes)
    except Exception as exc:  # the preview still serves; it just no longer reloads
        log(f"msl-book: watching for changes stopped: {exc}")
    finally:
        ready.set()
