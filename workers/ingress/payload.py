"""What a webhook body may be before anything reads it.

WooCommerce builds its bodies with PHP's json_encode: UTF-8 JSON whose
integers fit in 64 bits (larger numbers become floats), with no NaN or
Infinity (json_encode refuses them) and, for an order, a handful of levels
of nesting, and never a lone UTF-16 surrogate (invalid UTF-8 makes it fail).
Python's json module accepts far more: 4,300-digit integers, `1e400` as
infinity, `NaN`, "\ud800" (a str that cannot be encoded again), and
nesting until the interpreter's recursion limit. A body outside what PHP could have produced is refused here, with a
reason, before the mapping or the data converter ever sees it.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # a WooCommerce order nests about 6 levels (meta values included)
_INT64 = 2**63
_MAX_INT_DIGITS = 20  # "-9223372036854775808"
# Only an escape can put a surrogate in a str decoded from strict UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class BodyRefused(ValueError):
    """The body is not JSON a WooCommerce store sends; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS or not -_INT64 <= (value := int(text)) < _INT64:
        raise BodyRefused(f"an integer beyond 64 bits ({len(text)} digits)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused(f"a number too large for a double: {text[:40]}")
    return value


def _constant(name: str) -> Any:
    raise BodyRefused(f"{name} is not JSON")


def parse(body: bytes) -> Any:
    """The JSON document in `body`; BodyRefused if it is not one WooCommerce sends."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(f"malformed JSON: not UTF-8 at byte {exc.start}") from None
    try:
        doc = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise BodyRefused(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise BodyRefused(f"malformed JSON: {exc}") from None
    _check(doc, strings=_SURROGATE_ESCAPE.search(text) is not None)
    return doc


def _check(doc: Any, *, strings: bool) -> None:
    """Depth, and (when the text has surrogate escapes) that every string
    encodes. Iterative, so a deep document cannot exhaust the stack here."""
    _check_string(doc, strings)
    stack = [(doc, 1)] if isinstance(doc, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BodyRefused(f"nested deeper than {MAX_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            else:
                _check_string(child, strings)
        if strings and isinstance(node, dict):
            for key in node:
                _check_string(key, strings)


def _check_string(value: Any, strings: bool) -> None:
    if strings and isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BodyRefused("a lone UTF-16 surrogate in a string") from None
