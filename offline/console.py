"""The local stack's console: whole lines, and nothing in them that a terminal would act on.

Every part (the gateway, the pump, the supervisor that relays them) writes through ``say``. A
request's path or a customer's text can hold any character: a line feed would start a line
that pretends to come from another part, an escape sequence would drive the terminal, a NUL
would make the log binary. So every character that is not printable is written as its Python
escape (``\\n``, ``\\x1b``, ``\\x00``, ``\\u2028``), and a line stays one line.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_lock = threading.Lock()


def printable(text: str) -> str:
    """``text`` with each character that is not printable replaced by its escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def say(*lines: str, stream: TextIO | None = None) -> None:
    """Write ``lines`` whole and together, each escaped (print() writes a text and its newline
    apart, so two threads' lines could merge into one)."""
    text = "".join(printable(line) + "\n" for line in lines)
    with _lock:
        out = stream or sys.stdout
        out.write(text)
        out.flush()
