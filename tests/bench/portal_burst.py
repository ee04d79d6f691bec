"""A sale-day burst on the customer portal: signed-in customers browse and cancel under gunicorn.

    python -m tests.bench.portal_burst                      (or: make bench)
    python -m tests.bench.portal_burst --customers 8 --seconds 20 --web-workers 2

Needs DATABASE_URL (PostgreSQL; `make bench` starts the embedded one when unset). It makes a throwaway
database beside the one named, a built-in store with `--customers` signed-in customers (sessions made
as a sign-in makes them) and enough orders for each, and starts gunicorn with the production settings
(`DJANGO_ENV=production`, HTTPS as a proxy in front would say, via X-Forwarded-Proto) and a Celery
worker. Each customer, on a connection of their own, loops for `--seconds`: the order list, an order's
page, the cancel page, then the confirm POST (with the form's CSRF token, as a browser sends it). Then
the same connections hit `/healthz` (a minimal view on the same server) for the same time, then each
customer's requests' `status.json` (the smallest signed-in read a page makes: session, store, order, one
request) for the same time. It prints
requests/s and p50/p99 for each page, the ratio to the minimal view, the CPU that gunicorn, the worker
and the clients spent per loop (from /proc: what bounds the burst), the errors, and afterwards that
every cancel submitted exists once and was carried out once.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

from tests.bench.bulk_cancel import _tree_cpu
from tests.bench.webhook_throughput import ROOT, _bench_database_url, _free_port, _recreate_database

HOST = "burst.example.com"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(p * (len(ordered) - 1)), len(ordered) - 1)] * 1000 if ordered else 0.0


class Customer(threading.Thread):
    def __init__(self, port: int, slug: str, session: str, orders: list[int], until: float, mode: str,
                 statuses: list[str]):  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.slug, self.session, self.orders, self.until = port, slug, session, orders, until
        self.mode = mode  # "burst", "healthz", or "status" (their requests' status.json, in turn)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.submitted: list[int] = []
        self.statuses = statuses  # the status.json of each request this customer submitted
        self.csrf_cookie = ""

    def _request(
        self, conn: http.client.HTTPConnection, name: str, method: str, path: str, body: bytes = b""
    ):
        cookies = f"sessionid={self.session}" + (
            f"; csrftoken={self.csrf_cookie}" if self.csrf_cookie else ""
        )
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Cookie": cookies}
        if method == "POST":
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            }
        started = time.monotonic()
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.times[name].append(time.monotonic() - started)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("csrftoken="):
                self.csrf_cookie = value.split(";", 1)[0].split("=", 1)[1]
        if response.status >= 400:
            self.errors.append(f"{name} {response.status}")
        return response, data

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        base = f"/s/{self.slug}"
        while time.monotonic() < self.until:
            if self.mode == "healthz":
                self._request(conn, "healthz", "GET", "/healthz")
                continue
            if self.mode == "status":
                if not self.statuses:
                    break
                self._request(
                    conn,
                    "status.json",
                    "GET",
                    self.statuses[len(self.times["status.json"]) % len(self.statuses)],
                )
                continue
            if not self.orders:
                break
            order = self.orders.pop()
            self._request(conn, "order list", "GET", f"{base}/orders/")
            self._request(conn, "order page", "GET", f"{base}/orders/{order}/")
            _, page = self._request(conn, "cancel page", "GET", f"{base}/orders/{order}/cancel/")
            match = CSRF.search(page)
            if not match:
                self.errors.append("cancel page without a form")
                continue
            form = (
                f"csrfmiddlewaretoken={match.group(1).decode()}&step=confirm&reason=changed_mind"
                f"&submit_key={uuid.uuid4().hex}"
            )
            response, _ = self._request(
                conn, "cancel POST", "POST", f"{base}/orders/{order}/cancel/", form.encode()
            )
            if response.status == 302:
                self.submitted.append(order)
                self.statuses.append(urlsplit(response.getheader("Location", "")).path + "status.json")
            else:
                self.errors.append(f"cancel POST answered {response.status}")
        conn.close()


def _drive(port: int, slug: str, people: list[tuple[str, list[int], list[str]]], seconds: float, mode: str):
    until = time.monotonic() + seconds
    customers = [
        Customer(port, slug, session, orders, until, mode, statuses) for session, orders, statuses in people
    ]
    started = time.monotonic()
    for customer in customers:
        customer.start()
    for customer in customers:
        customer.join(seconds + 60)
    return customers, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must point at PostgreSQL (make bench starts one).")
    from cryptography.fernet import Fernet

    database_url = _bench_database_url(os.environ["DATABASE_URL"]).replace("_bench", "_burstbench")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "EMAIL_URL": "locmem://",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": f"amend-bench-{uuid.uuid4().hex[:8]}",
        "CELERY_FILESYSTEM_BROKER_DIR": tempfile.mkdtemp(prefix="amend-burst-"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    os.environ.update(env)
    _recreate_database(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    # Production serves hashed static files from the manifest collectstatic writes (as a deploy does).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )

    import django

    django.setup()
    from importlib import import_module

    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from cancellations.models import OrderRequest, PlatformEffect
    from tests.factories import make_order, make_store, make_user

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # as the server reads them
    store = make_store(f"burst-{uuid.uuid4().hex[:6]}")
    people = []
    for n in range(args.customers):
        email = f"customer{n}@example.com"
        user = make_user(email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        session = SessionStore()
        session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        orders = [make_order(store, email=email, lines=2, financial_status="paid").pk for _ in range(60)]
        people.append((session.session_key, orders, []))

    port = _free_port()
    logs = ROOT / ".data" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.web_workers)],
        cwd=ROOT, env=env, stdout=open(logs / "burst-gunicorn.log", "wb"),  # noqa: SIM115 - lives with it
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "2",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=open(logs / "burst-worker.log", "wb"),  # noqa: SIM115 - lives with it
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    ok = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        cpu_before = {name: (_tree_cpu(p.pid) or 0.0) for name, p in (("web", server), ("worker", worker))}
        cpu_before["bench"] = time.process_time()
        busy, elapsed = _drive(port, store.slug, people, args.seconds, mode="burst")
        cpu = {
            name: (_tree_cpu(p.pid) or 0.0) - cpu_before[name]
            for name, p in (("web", server), ("worker", worker))
        }
        cpu["bench"] = time.process_time() - cpu_before["bench"]
        idle, idle_elapsed = _drive(port, store.slug, people, args.seconds, mode="healthz")
        # A signed-in read as small as a customer page gets: the session, the store, the order, one request.
        reads, reads_elapsed = _drive(port, store.slug, people, args.seconds, mode="status")
        read_times = [t for c in reads for t in c.times["status.json"]]
        read_rate = len(read_times) / reads_elapsed
        minimal_times = [t for c in idle for t in c.times["healthz"]]
        minimal_rate = len(minimal_times) / idle_elapsed
        print(
            f"machine: {os.cpu_count()} cores; gunicorn --workers {args.web_workers}, production settings; "
            f"{args.customers} signed-in customers for {args.seconds:.0f}s"
        )
        print(
            f"{'minimal view':<12} {minimal_rate:7.0f} requests/s  "
            f"p50 {_percentile(minimal_times, 0.5):4.0f} ms  p99 {_percentile(minimal_times, 0.99):4.0f} ms"
        )
        print(
            f"{'status.json':<12} {read_rate:7.0f} requests/s  p50 {_percentile(read_times, 0.5):4.0f} ms  "
            f"p99 {_percentile(read_times, 0.99):4.0f} ms  = {read_rate / minimal_rate:.2f} of minimal "
            "(a signed-in read: session, store, order, one request)"
        )
        for name in ("order list", "order page", "cancel page", "cancel POST"):
            times = [t for c in busy for t in c.times[name]]
            rate = len(times) / elapsed
            # Each page's own rate if the server did only that: its share of the time spent.
            share = sum(times) / max(sum(t for c in busy for ts in c.times.values() for t in ts), 1e-9)
            alone = rate / share if share else 0.0
            print(
                f"{name:<12} {rate:7.0f} requests/s  p50 {_percentile(times, 0.5):4.0f} ms  "
                f"p99 {_percentile(times, 0.99):4.0f} ms  "
                f"alone ~{alone:.0f}/s = {alone / minimal_rate:.2f} of minimal, "
                f"{alone / max(read_rate, 1e-9):.2f} of status.json"
            )
        loops = max(len([t for c in busy for t in c.times["cancel POST"]]), 1)
        per_loop = {name: seconds / loops * 1000 for name, seconds in cpu.items()}
        print(
            f"CPU per loop (4 requests, the cancel carried out): gunicorn {per_loop['web']:.0f} ms, "
            f"worker {per_loop['worker']:.0f} ms, clients {per_loop['bench']:.0f} ms; "
            f"{os.cpu_count()} cores give {elapsed * (os.cpu_count() or 1) / loops * 1000:.0f} ms per loop"
        )
        errors = [e for c in busy + idle + reads for e in c.errors]
        print(f"errors: {len(errors)}" + (f" ({', '.join(sorted(set(errors))[:5])})" if errors else ""))
        submitted = [order for c in busy for order in c.submitted]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = OrderRequest.objects.for_store(store).filter(status="completed").count()
            if done >= len(submitted):
                break
            time.sleep(0.5)
        requests = OrderRequest.objects.for_store(store)
        per_order = requests.values_list("order_id", flat=True)
        effects = PlatformEffect.objects.for_store(store).count()
        once = len(per_order) == len(set(per_order)) == len(submitted) and effects == len(submitted)
        completed = requests.filter(status="completed").count()
        print(
            f"cancels submitted {len(submitted)}: {requests.count()} requests, {completed} carried out, "
            f"{effects} effects -> " + ("each once" if once and completed == len(submitted) else "MISMATCH")
        )
        ok = once and completed == len(submitted) and not errors
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=30)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
