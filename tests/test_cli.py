"""The command line: --version, --help everywhere, and what a successful build prints."""

from __future__ import annotations

import re

from msl_book import __version__
from msl_book.cli import app

from conftest import make_book, run_cli


def test_version():
    result = run_cli("--version")
    assert result.code == 0
    assert result.out == f"msl-book {__version__}\n"


def test_every_command_has_help():
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert "build" in commands
    for name in [None, *commands]:
        result = run_cli(*([name] if name else []), "--help")
        assert result.code == 0, name
        assert "Usage:" in result.out


def test_build_prints_each_output_with_size_and_pages(tmp_path):
    project = make_book(tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", str(project), "--output", str(out))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert re.fullmatch(rf"{re.escape(str(out / 'tiny.pdf'))}  \(\d+\.\d KB, \d+ pages\)", lines[0])
    assert re.fullmatch(rf"{re.escape(str(out / 'tiny.epub'))}  \(\d+\.\d (KB|MB)\)", lines[1])


def test_format_and_edition_select_the_outputs(tmp_path):
    project = make_book(tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", str(project), "-o", str(out), "--format", "pdf", "--edition", "print")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["tiny-print.pdf"]
