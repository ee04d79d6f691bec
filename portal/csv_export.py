"""CSV downloads: cells a spreadsheet cannot run as formulas, and rows written straight to a stream."""

from __future__ import annotations

from typing import Any

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such text is
# written with a leading quote, so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The value as CSV text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class Echo:
    """A file-like object whose write returns the line, for csv.writer inside a streaming response."""

    def write(self, value: str) -> str:
        return value
