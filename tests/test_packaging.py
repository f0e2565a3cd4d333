"""Installed from a wheel, msl-book carries its default theme and builds a book anywhere."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from msl_book import cache

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


def _direct_requirements() -> set[str]:
    requires = metadata.distribution("msl-book").requires or []
    return {
        re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", r)[0]).lower()
        for r in requires
        if "extra ==" not in r
    }


def test_every_module_msl_book_imports_is_a_declared_dependency():
    """Nothing msl-book imports may arrive only because another package happens to need it."""
    declared = _direct_requirements()
    providers = metadata.packages_distributions()
    stdlib = sys.stdlib_module_names
    imported = set()
    for path in (ROOT / "src" / "msl_book").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(m for m in imported - stdlib if m not in ("msl_book", "__future__"))
    assert "weasyprint" in third_party and "pydyf" in third_party
    undeclared = [
        m for m in third_party if not {re.sub(r"[-_.]+", "-", d).lower() for d in providers[m]} & declared
    ]
    assert undeclared == []


def test_one_yaml_library():
    assert "pyyaml" not in _direct_requirements()
    assert "ruamel-yaml" in _direct_requirements()


def test_the_build_record_covers_every_library_that_shapes_the_output():
    names = {line.split("==")[0] for line in cache.library_versions()}
    assert {"weasyprint", "pydyf", "pikepdf", "fonttools", "pyphen", "tinycss2", "ebooklib", "lxml"} <= names
    assert "pytest" not in names  # a test dependency does not change a book
    assert any(line.startswith("libharfbuzz.so") for line in cache.system_libraries())
