"""Render one PDF in a child process: HTML and CSS on stdin (JSON), PDF bytes on stdout.

Run as ``python -m judging.pdf_worker LIMIT [--progress] [--background]``. It imports
nothing of the app, fetches nothing from outside (R-29) and runs under the memory and
time limits its parent sets (R-30). With ``--progress`` it reports each step and page on stderr; with
``--background`` (a part of a pack) it runs at a lower CPU priority.
"""

import gc
import json
import logging
import os
import re
import resource
import sys

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher


class NoFetcher(URLFetcher):
    """Refuse every URL: file, http(s), ftp and data alike (R-29).

    Our documents are self-contained (styles come in as a string, graphics as inline
    SVG), so nothing needs fetching. Refusing ``data:`` too means no markup can smuggle
    in an attachment, so the PDF never carries an /EmbeddedFile (R-31).
    """

    def __init__(self):
        super().__init__(allowed_protocols=set(), allow_redirects=False, timeout=1)

    def fetch(self, url, headers=None):
        raise ValueError(f"refused to fetch {url[:60]!r}: documents are self-contained")


def render(html: str, css: str) -> bytes:
    """Lay out the HTML with the given stylesheet and return the PDF bytes."""
    fetcher = NoFetcher()
    document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=fetcher)],
        presentational_hints=False,
    )


class ProgressLines(logging.Handler):
    """Report WeasyPrint's progress on stderr, one line per step or page laid out:
    ``progress preparing``, ``progress layout 57``, ``progress writing``."""

    PAGE = re.compile(r"Creating layout - Page (\d+)")
    STEP = re.compile(r"Step (\d+)")

    def emit(self, record: logging.LogRecord) -> None:
        # WeasyPrint's steps: 1-4 parse and style, 5 lays out (page by page, and again
        # when repaginating), 6 writes the PDF and 7 adds its metadata.
        message = record.getMessage()
        page = self.PAGE.search(message)
        step = self.STEP.match(message)
        number = int(step.group(1)) if step else 0
        if page:
            line = f"progress layout {page.group(1)}"
        elif number >= 6:
            line = "progress writing"
        elif number == 5:
            line = "progress layout"
        else:
            line = "progress preparing"
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def main() -> int:
    # Layout makes millions of boxes and keeps most of them to the end, so the cycle
    # collector kept rescanning them: a quarter of the time of a 200-page pack, for
    # almost no memory back (bench/results_bench.py: 353 MB peak with it, 360 MB
    # without). This process lays out one document and exits; the memory cap holds.
    gc.disable()
    if len(sys.argv) > 1:  # the memory cap the parent asks for, in bytes
        limit = int(sys.argv[1])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if "--background" in sys.argv[2:]:  # a part of a pack: judges' requests first
        os.nice(10)
    if "--progress" in sys.argv[2:]:
        progress = logging.getLogger("weasyprint.progress")
        progress.setLevel(logging.INFO)
        progress.propagate = False
        progress.addHandler(ProgressLines())
    payload = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdout.buffer.write(render(payload["html"], payload["css"]))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
