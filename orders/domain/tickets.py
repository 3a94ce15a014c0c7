"""Ticket numbers: the short number on the customer's receipt, e.g. ``R-2026-000123``.

``R`` (reparación, repair), the year the order was taken in, and that year's sequence, six
digits or more: short enough to read over the phone, sortable, and restarting each year so it
stays short. The sequence comes from an atomic counter, so a number is never given twice; a
create that fails or is an idempotent replay leaves a gap, which a shop can live with.
"""

from __future__ import annotations

import re

TICKET = re.compile(r"R-[0-9]{4}-[0-9]{6,9}")


def ticket_number(year: int, sequence: int) -> str:
    """The ticket number of the ``sequence``-th order taken in in ``year``."""
    return f"R-{year:04d}-{sequence:06d}"
