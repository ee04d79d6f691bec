"""`make demo`: the whole portal on this machine, with demo data.

Starts the database (embedded PostgreSQL unless DATABASE_URL is set), migrates, loads the
demo data, then runs a Celery worker (with beat) and the web server on http://127.0.0.1:8000
(`DEMO_HOST`, `DEMO_PORT` change the address; links in emails follow it). Django's debug mode is
off, so errors show the product's own pages, unless `DEMO_DEBUG=1`; the development mailbox at
/dev/mail/ is on either way. Prints the address and the demo logins. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import embedded_db

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def demo_address(environ: Mapping[str, str]) -> tuple[str, str]:
    """The host and port the demo web server listens on (`DEMO_HOST`, `DEMO_PORT`)."""
    return environ.get("DEMO_HOST") or "127.0.0.1", environ.get("DEMO_PORT") or "8000"


def demo_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the demo's processes run with.

    SITE_URL (the origin of links in emails) follows the demo's address unless set explicitly.
    DEBUG is off unless DEMO_DEBUG=1, so a missing page or an error shows the product's own page;
    the development mailbox stays on (DEV_MAILBOX) and static files are served by WhiteNoise.
    """
    env = dict(environ)
    host, port = demo_address(environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    debug = environ.get("DEMO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    env.setdefault("DEBUG", "true" if debug else "false")
    env.setdefault("DEV_MAILBOX", "true")
    return env


def _wait_for(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def _print_logins() -> None:
    logins_file = ROOT / ".data" / "demo-logins.json"
    if not logins_file.exists():
        return
    logins = json.loads(logins_file.read_text())
    print("\nDemo logins (also in .data/demo-logins.json):")
    for login in logins.get("logins", []):
        print(f"  {login['role']:<44} {login['email']:<32} {login.get('password') or '(code by email)'}")
    for line in logins.get("notes", []):
        print(f"  {line}")


def _stop_on(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Stop cleanly on Ctrl-C and on SIGTERM, even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, _stop_on)
    signal.signal(signal.SIGTERM, _stop_on)
    env = demo_env(os.environ)
    host, port = demo_address(os.environ)
    started_db = False
    if not env.get("DATABASE_URL"):
        started_db = not embedded_db.is_running()
        env["DATABASE_URL"] = embedded_db.start()
    manage = [PYTHON, str(ROOT / "manage.py")]
    children: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*manage, "migrate", "--noinput"], check=True, env=env, cwd=ROOT)
        subprocess.run([*manage, "seed_demo"], check=True, env=env, cwd=ROOT)
        children.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--beat",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                    "--schedule",
                    str(ROOT / ".data" / "celerybeat-schedule"),
                ],
                env=env,
                cwd=ROOT,
            )
        )
        children.append(
            subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"], env=env, cwd=ROOT)
        )
        base = f"http://{host}:{port}"
        if not _wait_for(f"{base}/healthz"):
            print("The web server did not answer within 60 s; see the log above.", file=sys.stderr)
            return 1
        print(f"\nAmend is running at {base}/  (health: {base}/readyz, mail: {base}/dev/mail/)")
        _print_logins()
        print("\nPress Ctrl-C to stop.\n", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A demo process exited; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if started_db:
            embedded_db.stop()


if __name__ == "__main__":
    sys.exit(main())
