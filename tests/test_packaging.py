"""Installed from a wheel, msl-book carries its default theme and builds a book anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, make_book


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("msl_book-*.whl"))


def test_wheel_ships_templates_styles_and_font_licences(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "msl_book/theme/templates/print/book.html.j2" in names
    assert "msl_book/theme/templates/epub/chapter.xhtml.j2" in names
    assert "msl_book/theme/styles/base.css" in names
    assert "msl_book/theme/styles/fonts/CharisSIL-Regular.ttf" in names
    assert "msl_book/theme/styles/fonts/OFL-CharisSIL.txt" in names


def test_installed_wheel_builds_a_book_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    project = make_book(tmp_path)  # no templates/ or styles/ of its own
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import msl_book.theme as t, sys; print(t.theme_dir());"
        "from msl_book.cli import app; sys.argv=['msl-book','build','.','-o','out']; app()"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == str(site / "msl_book" / "theme")
    assert (project / "out" / "tiny.pdf").stat().st_size > 10_000
    assert (project / "out" / "tiny.epub").stat().st_size > 10_000
