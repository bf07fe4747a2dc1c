"""JSON feed bytes read safely, and typed access to what came out of them.

The standard library's parser is enough: JSON has no entities or includes, so the hazards are
encoding, nesting deep enough to exhaust the stack, and numbers too long to convert.
"""

from __future__ import annotations

import json
import re

from pipeline.sources.items import FeedError

MAX_DEPTH = 64
"""Deeper than any real feed (ninjs associations nest four or five levels)."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")

JsonObject = dict[str, object]


def load_json(body: bytes) -> object:
    """Parse UTF-8 JSON (an optional BOM allowed); `FeedError` naming the line otherwise."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body.count(b"\n", 0, error.start) + 1
        bad = body[error.start : error.start + 1].hex()
        raise FeedError(
            f"invalid encoding: byte 0x{bad} at line {line} is not valid UTF-8, "
            "which JSON feeds must be"
        ) from None
    depth = _depth(body)
    if depth > MAX_DEPTH:
        raise FeedError(f"refused: JSON nested {depth} levels deep (at most {MAX_DEPTH})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FeedError(
            f"JSON parse error at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise FeedError(f"refused: JSON nested too deep (at most {MAX_DEPTH})") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise FeedError(f"JSON parse error: {error}") from None


def _depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects, strings left out; linear, no recursion."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub(b"", body)):
        if match.group(0) in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def text(value: object) -> str | None:
    """A string value (numbers too, as some feeds give ids), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def obj(value: object) -> JsonObject:
    """An object, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


def objects(value: object) -> list[JsonObject]:
    """The objects of an array (other members skipped), or [] for anything else."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
