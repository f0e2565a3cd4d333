"""The Jinja2 environment shared by both renderers."""

from __future__ import annotations

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from .theme import Theme


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
    )
    return env
