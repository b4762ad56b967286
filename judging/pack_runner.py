"""Start the process that makes one queued document pack, detached from the caller.

``python -m judging.pack_runner PACK_ID`` is what judging.packs.start runs from the
request that asked for the pack. It forks at once and returns, so the request waits
only for a bare interpreter to start, and the server never has to reap the pack's
process. The child leaves the server's session and process group (a worker restart or
a Ctrl-C on the server does not take it down) and becomes
``flask --app app results run-pack PACK_ID`` (judging/cli.py), which builds the app
from its environment (DATABASE_URL, SECRET_KEY) and runs judging.packs.run.
"""

import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m judging.pack_runner PACK_ID", file=sys.stderr)
        return 2
    if os.fork():
        return 0
    os.setsid()
    command = ["-m", "flask", "--app", "app", "results", "run-pack", argv[1]]
    os.execv(sys.executable, [sys.executable, *command])  # noqa: S606 - fixed argv
    return 1  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
