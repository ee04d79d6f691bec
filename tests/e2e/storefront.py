"""A stand-in for a shop's storefront in browser tests: Shopify's app proxy and a plain theme around it.

The browser asks `http://127.0.0.1:<port>/apps/amend/...` as a customer would ask the shop's domain; this
server forwards it to Amend's `/shopify/proxy/...` the way Shopify does (the query plus `shop`,
`logged_in_customer_id`, `path_prefix`, `timestamp` and `signature`; the method and body as sent; cookies
stripped both ways) and frames an `application/liquid` answer in a small theme, as the shop's theme would.
https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
It renders no Liquid (Amend's answers carry none); everything else is passed through as it came.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from tests.integrations.proxy_client import PREFIX, signed_query

THEME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{margin:0;font-family:Georgia,serif;color:#222;background:#fbfaf7}}
.theme-header{{display:flex;justify-content:space-between;align-items:center;padding:1rem 2rem;
background:#1d3b2a;color:#fff}}
.theme-header a{{color:#fff;margin-left:1.2rem;text-decoration:none}}
.theme-logo{{font-size:1.4rem;letter-spacing:.05em}}
.theme-footer{{padding:2rem;color:#666;border-top:1px solid #ddd;text-align:center}}
</style></head>
<body><header class="theme-header"><span class="theme-logo">{title}</span>
<nav><a href="/">Shop</a><a href="/collections/all">Collections</a><a href="/account">Account</a></nav>
</header>
<main>{content}</main>
<footer class="theme-footer">&copy; {title}</footer></body></html>"""


class Storefront:
    def __init__(self, *, amend_url: str, shop: str, title: str, customer: str | int = "") -> None:
        self.amend_url, self.shop, self.title, self.customer = amend_url, shop, title, customer
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Storefront:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def theme(self, content: str) -> str:
        return THEME.format(title=self.title, content=content)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        storefront = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def _forward(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != PREFIX and not parts.path.startswith(f"{PREFIX}/"):
                    self._answer(200, "text/html", storefront.theme("<h1>Welcome</h1>").encode())
                    return
                query = signed_query(storefront.shop, storefront.customer, **dict(parse_qsl(parts.query)))
                target = f"{storefront.amend_url}/shopify/proxy{parts.path.removeprefix(PREFIX)}"
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {"Content-Type": self.headers.get("Content-Type", "")} if body else {}
                answer = httpx.request(
                    self.command, f"{target}?{urlencode(query)}", content=body or None, headers=headers
                )
                content_type = answer.headers.get("content-type", "")
                if answer.is_redirect:
                    self.send_response(answer.status_code)
                    self.send_header("Location", answer.headers["location"])
                    self.end_headers()
                elif content_type.startswith("application/liquid"):
                    page = storefront.theme(answer.text).encode()
                    self._answer(answer.status_code, "text/html; charset=utf-8", page)
                else:
                    self._answer(answer.status_code, content_type, answer.content)

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
