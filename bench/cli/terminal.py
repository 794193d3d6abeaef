"""The console every command prints to (tests swap it for a wider one)."""

from __future__ import annotations

import os
import sys

from rich.console import Console

# Piped output has no terminal to wrap it: render the wide tables at full width there. No emoji
# codes: a name from data such as ':x:' prints as itself (docs/security.md).
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200, emoji=False)


def piped() -> bool:
    """True when stdout is no terminal: tables then show every column at one stable width."""
    return not sys.stdout.isatty() and "COLUMNS" not in os.environ
