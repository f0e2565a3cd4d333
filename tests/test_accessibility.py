"""DAISY Ace on the real handbook's EPUB and the pandoc-style course's (math, code, raw
HTML, an Inkscape SVG): no violations of any impact.

Ace (npm @daisy/ace-cli) runs the book in Chromium. .ci/run installs both and sets
MSL_BOOK_ACE to the ace-cli executable and MSL_BOOK_REQUIRE_ACE=1; elsewhere the test is
skipped when Ace is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

IMPACTS = ("critical", "serious", "moderate", "minor")


def _ace() -> str | None:
    return os.environ.get("MSL_BOOK_ACE") or shutil.which("ace") or shutil.which("ace-cli")


def _run_ace(epub, tmp_path) -> dict:
    ace = _ace()
    if not ace:
        if os.environ.get("MSL_BOOK_REQUIRE_ACE") == "1":
            pytest.fail("MSL_BOOK_REQUIRE_ACE=1 but DAISY Ace was not found (set MSL_BOOK_ACE)")
        pytest.skip("DAISY Ace is not installed (npm @daisy/ace-cli); .ci/run installs it")
    env = {
        **os.environ,
        "PUPPETEER_EXECUTABLE_PATH": os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium"),
    }
    proc = subprocess.run(
        [ace, "--silent", "--force", "--outdir", str(tmp_path), str(epub)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    report = tmp_path / "report.json"
    assert report.exists(), proc.stdout + proc.stderr
    return json.loads(report.read_text(encoding="utf-8"))


def _violations(data: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {impact: [] for impact in IMPACTS}
    for doc in data["assertions"]:
        for a in doc.get("assertions", []):
            if a["earl:result"]["earl:outcome"] == "fail":
                found[a["earl:test"].get("earl:impact", "minor")].append(
                    f"{a['earl:test']['dct:title']} in {doc['earl:testSubject']['url']}"
                )
    return found


def test_ace_reports_no_violations(handbook, tmp_path):
    data = _run_ace(handbook.epub, tmp_path)
    assert _violations(data) == {impact: [] for impact in IMPACTS}
    # Ace also reads the package's accessibility metadata: it must have found what we declare
    assert "pageNavigation" in json.dumps(data["earl:testSubject"]["metadata"])


def test_ace_reports_no_violations_in_the_pandoc_course(tmp_path):
    from msl_book.build import BuildOptions, build

    from conftest import FIXTURES

    epub = (
        build(FIXTURES / "course", BuildOptions(output=tmp_path / "out", formats=("epub",))).outputs[0].path
    )
    data = _run_ace(epub, tmp_path / "ace")
    assert _violations(data) == {impact: [] for impact in IMPACTS}
