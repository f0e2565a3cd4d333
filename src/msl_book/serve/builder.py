"""The paged view's builder: one process that builds the book's PDF on each request.

``python -m msl_book.serve.builder PROJECT OUTPUT`` reads a line from its standard input
for each build and answers with one line of JSON: the exit status, standard output and
standard error that ``msl-book build PROJECT --format pdf --output OUTPUT`` would have
given. As ``build --watch`` does, it keeps what a process keeps between builds (imports,
the code's fingerprint, the digests of fonts and images, the parsed stylesheets), so an
edit costs what a live rebuild costs, not a fresh process's start. It has no threads, so
its layouts may fork their workers; the server stops it (and its workers) by killing its
process group. A bug ends it after its answer (the traceback): the next build starts a new
one, from nothing the bug may have left behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import sys
import traceback
from pathlib import Path


def serve_builds(project: Path, output: Path) -> None:
    from ..build import BuildOptions, make_ahead
    from ..cli import _build_once

    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    # nothing else written to standard output can mix with the answers; standard error (a
    # file the server reads if this process dies) keeps what no answer says
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    options = BuildOptions(formats=("pdf",), output=output)
    for _request in sys.stdin:
        out, err = io.StringIO(), io.StringIO()
        bug = False
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = 0 if _build_once(project, options) else 1
            except Exception:
                err.write(traceback.format_exc())
                status, bug = 1, True
        answer = {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
        if bug:
            return
        make_ahead(lambda: bool(select.select([sys.stdin], [], [], 0)[0]))  # until a request comes


if __name__ == "__main__":
    serve_builds(Path(sys.argv[1]), Path(sys.argv[2]))
