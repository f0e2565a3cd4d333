"""YAML with line numbers: parse to plain data and remember where every value came from.

Scalars stay strings (``version: 1.10`` must not become the float 1.1); pydantic converts
them to the declared types. Duplicate keys are errors instead of silently overwritten.
ruamel.yaml is the project's one YAML library: its composer gives every node's line here,
and its round-trip mode edits book.yaml without losing comments (scaffold.py).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

NULLS = {"", "~", "null", "Null", "NULL"}


class YamlProblem(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class YamlDoc:
    """Plain data plus a map from a key path such as ("authors", 0) to its 1-based line."""

    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    first_line: int = 1

    def line_of(self, loc: tuple[Any, ...]) -> int:
        """The line of the deepest part of ``loc`` that exists in the document."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.first_line


def parse_yaml(text: str, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document; ``line_offset`` is added to every line (front matter).
    A live process (build --watch) parses each version of a text once: ruamel's pure-Python
    parser is a fifth of reading a book."""
    return copy.deepcopy(_parsed(text, line_offset))


@functools.lru_cache(maxsize=1024)
def _parsed(text: str, line_offset: int) -> YamlDoc:
    try:
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context_mark and exc.context_mark.line != mark.line:
            problem += f" ({exc.context} started on line {exc.context_mark.line + 1 + line_offset})"
        raise YamlProblem(f"invalid YAML: {problem}", line) from None
    doc = YamlDoc(data=None, first_line=1 + line_offset)
    if node is None:
        return doc
    doc.data = _convert(node, (), doc, line_offset)
    return doc


def _convert(node: Node, loc: tuple[Any, ...], doc: YamlDoc, offset: int) -> Any:
    doc.lines[loc] = node.start_mark.line + 1 + offset
    if isinstance(node, ScalarNode):
        if node.style is None and node.value in NULLS:
            return None
        return node.value
    if isinstance(node, SequenceNode):
        return [_convert(item, (*loc, i), doc, offset) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1 + offset
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem("mapping keys must be plain names", line)
            key = key_node.value
            if key in result:
                raise YamlProblem(f"duplicate key '{key}'", line)
            result[key] = _convert(value_node, (*loc, key), doc, offset)
            doc.lines[(*loc, key)] = line
        return result
    raise YamlProblem("unsupported YAML node", doc.lines[loc])  # pragma: no cover
