"""Run a command with a PostgreSQL database: DATABASE_URL if set, else the embedded server.

    python scripts/with_db.py pytest -q

When this script starts the embedded server it also stops it afterwards, so `make test`
leaves nothing running. The command's exit code is passed through.
"""

from __future__ import annotations

import os
import subprocess
import sys

import embedded_db


def main() -> int:
    command = sys.argv[1:]
    if not command:
        sys.exit("usage: with_db.py COMMAND [ARGS...]")
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)
    was_running = embedded_db.is_running()
    env = {**os.environ, "DATABASE_URL": embedded_db.start()}
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if not was_running:
            embedded_db.stop()


if __name__ == "__main__":
    sys.exit(main())
