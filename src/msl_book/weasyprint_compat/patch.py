"""A patch: attributes of WeasyPrint or pydyf replaced for as long as it is installed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# (owner, attribute, make): make(original) -> the replacement, which may wrap the original.
Replacement = tuple[object, str, Callable[[Any], Any]]


@dataclass(frozen=True)
class Patch:
    name: str  # short name: how a test turns it off
    bug: str  # what goes wrong without it, in one line
    upstream: str  # where it is reported (docs/upstream/…, or an issue)
    replacements: tuple[Replacement, ...]

    def install(self, undo: list[tuple[object, str, Any]]) -> None:
        """Replace the attributes, adding to ``undo`` (put back in reverse order) as it goes,
        so that a failure halfway leaves nothing it cannot put back."""
        for owner, attribute, make in self.replacements:
            original = getattr(owner, attribute)
            replacement = make(original)
            undo.append((owner, attribute, original))
            setattr(owner, attribute, replacement)
