"""A book may read files only inside its own project directory, and nothing from the network."""

from __future__ import annotations

import socket

import pytest

from msl_book.renderers.pdf.fetcher import ProjectFetcher
from msl_book.theme import Theme

from conftest import make_book, run_cli

SECOND = "chapters/02-second.md"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the build tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _errors(tmp_path, changes):
    project = make_book(tmp_path, changes)
    result = run_cli("build", str(project), "--output", str(tmp_path / "out"))
    assert result.code == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return result.err.splitlines()[:-1]


def test_image_outside_the_project_is_refused(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    lines = _errors(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\n![Secret](../../secret.png)\n"})
    assert lines == [f"{SECOND}:4: image ../../secret.png: file is outside the project directory"]


def test_symlink_that_escapes_the_project_is_refused(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    project = make_book(tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\n![Link](../images/link.png)\n"})
    (project / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    result = run_cli("build", str(project), "--output", str(tmp_path / "out"))
    assert result.code == 1
    assert (
        result.err.splitlines()[0]
        == f"{SECOND}:4: image ../images/link.png: file is outside the project directory"
    )


def test_network_image_is_refused(tmp_path):
    lines = _errors(
        tmp_path, {SECOND: "---\ntitle: Second Chapter\n---\n![Meta](http://169.254.169.254/latest)\n"}
    )
    assert lines == [
        f"{SECOND}:4: image http://169.254.169.254/latest: a URL cannot be used; copy the image into the project and give its path"
    ]


def test_svg_that_pulls_in_other_files_is_refused(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="file:///etc/passwd"/></svg>'
    lines = _errors(
        tmp_path,
        {"images/evil.svg": svg, SECOND: "---\ntitle: Second Chapter\n---\n![Evil](../images/evil.svg)\n"},
    )
    assert lines == [
        f"{SECOND}:4: image ../images/evil.svg: references another file (file:///etc/passwd); "
        "embed it or draw it in the SVG"
    ]


def test_stylesheet_urls_outside_the_project_or_on_the_network_are_refused(tmp_path):
    css = "body { background: url(https://example.com/track.png); }\nh1 { background: url(/etc/hostname); }\n"
    project = make_book(tmp_path, {"styles/custom.css": css})
    result = run_cli("build", str(project), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert result.code == 1
    lines = result.err.splitlines()
    assert (
        "refused to load file:///etc/hostname: a book may only use files inside its project directory"
        in lines
    )
    assert (
        "refused to load https://example.com/track.png: a book may only use files inside its project directory"
        in lines
    )


def test_fetcher_serves_project_files_and_refuses_others(tmp_path):
    project = make_book(tmp_path)
    fetcher = ProjectFetcher([project], Theme(project))
    response = fetcher.fetch((project / "images" / "dot.svg").as_uri())
    assert response.read().startswith(b"<svg")
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x", "ftp://example.com/x"):
        with pytest.raises(ValueError, match="only files inside the project"):
            fetcher.fetch(url)
    assert fetcher.refused == ["file:///etc/passwd", "http://127.0.0.1:9/x", "ftp://example.com/x"]
