"""Spreadsheet-safe CSV exports (R-27), shared by every download the app offers."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

# A cell starting with one of these is read as a formula by Excel, LibreOffice or
# Google Sheets (ASCII and full-width forms): such cells get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_safe(value: Any) -> Any:
    """Return a cell value that a spreadsheet will not run as a formula.

    Text starting with ``= + - @``, TAB, CR, LF or a full-width ``＝ ＋ － ＠`` is
    prefixed with ``'``. Numbers stay numbers, None becomes "", datetimes become ISO 8601.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Render a header and rows as RFC 4180 CSV (CRLF line ends), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()
