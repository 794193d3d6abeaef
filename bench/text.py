"""Names and messages from data, made safe for a terminal: no character of a track id, file
name, label column or record can drive the terminal (escape sequences, bidirectional
overrides) or be read as rich markup."""

from __future__ import annotations

from rich.markup import escape

_KEPT = frozenset("\n\t")  # line breaks and tabs only lay text out


def visible(text: str) -> str:
    """`text` with every character that is not printable shown as its escape (ESC as \\x1b,
    a right-to-left override as \\u202e), so it prints as what it is."""
    return "".join(c if c.isprintable() or c in _KEPT else repr(c)[1:-1] for c in text)


def shown(text: str) -> str:
    """`text` for a place inside rich markup: visible, and its markup escaped."""
    return escape(visible(text))
