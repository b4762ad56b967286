"""Spreadsheet-safe CSV and XLSX exports (R-27), shared by every download the app offers."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

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


def to_xlsx(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
) -> bytes:
    """Render (sheet name, header, rows) as an XLSX workbook.

    Text is always written as a text cell, never a formula or a link, so a cell starting
    with ``=`` shows exactly what was typed and is never run (R-27); the value needs no
    apostrophe. Numbers (Decimal included) are numbers, None is an empty cell, datetimes
    are ISO 8601 text. The header row is bold and frozen.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    for name, header, rows in sheets:
        sheet = workbook.add_worksheet(name[:31])
        for col, title in enumerate(header):
            sheet.write_string(0, col, str(title), bold)
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                _write_cell(sheet, r, col, value)
        sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def _write_cell(sheet, row: int, col: int, value: Any) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no")
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, col, float(value))
    elif isinstance(value, datetime):
        sheet.write_string(row, col, value.isoformat(timespec="seconds"))
    else:
        sheet.write_string(row, col, str(value))
