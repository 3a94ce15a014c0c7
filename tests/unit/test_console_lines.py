"""The local console writes each line as one line of printable text, whatever it is given."""

from __future__ import annotations

import io

import pytest

from offline.console import printable, say


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET /orders\n[pump] received", "GET /orders\\n[pump] received"),
        ("\r\x1b[2K\x1b]0;title\x07", "\\r\\x1b[2K\\x1b]0;title\\x07"),
        ("nul\x00byte", "nul\\x00byte"),
        ("line\u2028paragraph\u2029", "line\\u2028paragraph\\u2029"),
        ("right\u202eto left", "right\\u202eto left"),
        ("portátil 💻 Lucía", "portátil 💻 Lucía"),
    ],
    ids=repr,
)
def test_what_a_terminal_would_act_on_is_shown_as_its_escape(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_lines_said_together_are_written_whole_and_one_per_line() -> None:
    out = io.StringIO()

    say("", "Orders service is running.", "order\nforged", stream=out)

    assert out.getvalue() == "\nOrders service is running.\norder\\nforged\n"
