"""The Jinja2 environment shared by the renderers, and template mistakes as diagnostics.

A book can override any template, so a template's mistake is the author's: a syntax error,
an undefined variable or any exception raised while it renders is reported as
``templates/…:line: template error: …``, never as a traceback. An exception raised in
msl-book's own code called from a template is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateSyntaxError
from jinja2.bccache import Bucket, BytecodeCache
from lxml import etree

from .errors import BookError, Diagnostic, Report
from .theme import Theme
from .xhtml import parse_document

_PACKAGE = Path(__file__).resolve().parent


class _Compiled(BytecodeCache):
    """The templates' compiled code, kept for the process: a live process (build --watch)
    compiles each version of a template once. Jinja2 checks each entry against its source's
    checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _Compiled()


def environment(theme: Theme) -> Environment:
    """Book templates first, then the theme's; autoescaping on for every template."""
    loader = ChoiceLoader([FileSystemLoader(str(d)) for d in theme.template_dirs])
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_COMPILED,
    )
    return env


def render(env: Environment, name: str, **context: object) -> str:
    """Render template ``name``; raises BookError at the template's file and line when the
    template is at fault."""
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        raise BookError([_syntax(exc, env)]) from None
    except Exception as exc:
        where = _innermost_template(exc.__traceback__, env)
        if where is None:
            raise
        message = str(exc) if type(exc).__module__.startswith("jinja2") else f"{type(exc).__name__}: {exc}"
        raise BookError([Diagnostic(where[0], where[1], f"template error: {message}")]) from None


def render_document(env: Environment, name: str, **context: object) -> etree._Element:
    """Render template ``name`` and parse the result: a template whose output is not
    well-formed XHTML (an unclosed element) is reported at that template."""
    text = render(env, name, **context)
    try:
        return parse_document(text)
    except etree.XMLSyntaxError as exc:
        template = env.get_template(name)
        shown = template_path(template.filename, env) if template.filename else f"templates/{name}"
        message = f"template output is not well-formed XHTML: {exc.msg} (line {exc.lineno} of the output)"
        raise BookError([Diagnostic(shown, 0, message)]) from None


def check_templates(env: Environment, report: Report) -> None:
    """Compile every template so a syntax error is reported with its file and line."""
    for name in sorted(env.list_templates(extensions=["j2"])):
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:
            report.items.append(_syntax(exc, env, name))


def _template_dirs(env: Environment) -> list[Path]:
    return [Path(d).resolve() for loader in env.loader.loaders for d in loader.searchpath]  # type: ignore[union-attr]


def _syntax(exc: TemplateSyntaxError, env: Environment, name: str | None = None) -> Diagnostic:
    shown = template_path(exc.filename, env) if exc.filename else f"templates/{name or exc.name}"
    return Diagnostic(shown, exc.lineno or 0, f"template error: {exc.message}")


def _innermost_template(tb: TracebackType | None, env: Environment) -> tuple[str, int] | None:
    """The template file and line the exception was raised in (Jinja2 rewrites the
    traceback so that template frames carry the template's own lines); None when it was
    raised in msl-book's own code that the template called: that is a bug."""
    found = None
    ours_after = False
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") and template_path(filename, env) != filename:
            found, ours_after = (template_path(filename, env), tb.tb_lineno), False
        elif Path(filename).resolve().is_relative_to(_PACKAGE):
            ours_after = True
        tb = tb.tb_next
    return None if ours_after else found


def template_path(filename: str, env: Environment) -> str:
    """A template's path as the author knows it (``templates/…``, the book's own or the
    theme's); ``filename`` itself when it is not a template of ``env``."""
    path = Path(filename).resolve()
    for directory in _template_dirs(env):
        if path.is_relative_to(directory):
            return path.relative_to(directory.parent).as_posix()
    return filename
