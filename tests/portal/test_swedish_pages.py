"""A Swedish store's pages, customer and staff, show no raw code and no English.

The test seeds a Swedish store with orders and requests in many states, opens its customer and staff
pages with the test client and reads the visible text (text and the attributes a person reads).
It fails on any raw choice code there (every value of the models' TextChoices, the policy's reason
codes, the event actions recorded) and on any English string of our catalogue that has a Swedish
translation but shows untranslated. Names (the store's, products', people's) are allowed.
"""

from __future__ import annotations

import html
import inspect
import re
import zoneinfo
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import models
from django.utils import timezone

from cancellations import models as cancellation_models
from cancellations.models import LineItem, OrderRequest, RequestEvent, RequestStatus
from cancellations.orders.access import make_order_link_token
from cancellations.policy import DEFAULT_POLICY, WithdrawalSettings, choices
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from tenants import models as tenant_models
from tenants import roles
from tests.customer.conftest import set_policy
from tests.factories import make_customer, make_member, make_order, make_product, make_user
from tests.merchant.queue_helpers import make_request

pytestmark = pytest.mark.django_db

# Words that are the same, or names, in both languages: they may show on a Swedish page.
ALLOWED_WORDS = {"shopify", "builtin", "none", "order", "admin", "rule", "product", "fixed", "percent"}
ALLOWED_ENGLISH = {"Amend", "Shopify", "E-mail", "OK", "API", "CSV", "Slack", "Webhooks", "Webhook"}

# Codes staff see on purpose: the reasons report's Code column, the policy page's example of one.
SHOWN_ON_PURPOSE = {
    "/app/bravo-shop/insights/": {"changed_mind"},
    "/app/bravo-shop/policy/": {"changed_mind"},
}

# A title (a tooltip) may carry the code beside its words on purpose (the audit log does).
_ATTRIBUTES = ("placeholder", "aria-label", "alt")
# What a page marks up as <code> (an audit action, a rule's facts) is shown as a code on purpose.
_HIDDEN = ("script", "style", "template", "code")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if name in _ATTRIBUTES and value:
                self.parts.append(value)
        values = dict(attrs)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(body: str) -> str:
    parser = _VisibleText()
    parser.feed(body)
    return "\n".join(parser.parts)


def raw_codes(events: set[str]) -> set[str]:
    """Every choice value a template could print raw."""
    codes = set(events)
    for module in (cancellation_models, tenant_models, choices, roles):
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, models.TextChoices) and obj is not models.TextChoices:
                codes.update(str(value) for value in obj.values)
    codes.update(DEFAULT_POLICY.reasons.codes)
    # A code that is also a Swedish word ("system") reads as Swedish.
    swedish = _swedish_words()
    return {code for code in codes if len(code) > 2 and code not in ALLOWED_WORDS and code not in swedish}


def _swedish_words() -> set[str]:
    po = Path(settings.BASE_DIR, "locale", "sv", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    return {
        word
        for block in po.split("\n\n")
        if _po_string(block, "msgid") != (msgstr := _po_string(block, "msgstr"))
        for word in re.findall(r"[^\W_]+", msgstr)  # plain words; an example code stays a code
    }


def english_strings() -> list[str]:
    """Our catalogue's English phrases whose Swedish differs: none may show on a Swedish page."""
    po = Path(settings.BASE_DIR, "locale", "sv", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    phrases: list[str] = []
    swedish: set[str] = set()
    for block in po.split("\n\n"):
        msgid = _po_string(block, "msgid")
        msgstr = _po_string(block, "msgstr")
        if not msgid or not msgstr or msgid == msgstr or "msgid_plural" in block:
            continue
        for piece in re.split(r"%\(\w+\)[sd]|%[sd]|<[^>]+>|\{\{.*?\}\}", msgid):
            piece = piece.strip(" .,:;()\u2013\u2014-\n")
            if (
                piece
                and piece not in ALLOWED_ENGLISH
                and piece not in msgstr
                and re.search(r"[A-Za-z]{3}", piece)
            ):
                phrases.append(piece)
        swedish.add(msgstr)
    # A word Swedish shares with English ("under", "status") is not English on a Swedish page.
    shared = set(re.findall(r"\w+", "\n".join(swedish))) | zoneinfo.available_timezones()
    return sorted({p for p in phrases if p not in shared}, key=len, reverse=True)


def _po_string(block: str, key: str) -> str:
    match = re.search(rf'^{key} ((?:".*"\n?)+)', block + "\n", re.M)
    if not match:
        return ""
    return "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"').replace("\\n", "\n")


@pytest.fixture
def swedish_store(store_b):
    set_policy(store_b, withdrawal=WithdrawalSettings(enabled=True, period_days=14))
    make_customer(store_b, "anna@example.com")
    user = make_user("anna@example.com")
    EmailAddress.objects.create(user=user, email="anna@example.com", verified=True, primary=True)
    product = make_product(store_b, title="Ylletröja", variants=2)
    open_order = make_order(
        store_b,
        email="anna@example.com",
        name="#B-100",
        customer_name="Anna Berg",
        shipping_address=SWEDISH_ADDRESS,
        lines=1,
    )
    line = open_order.line_items.get()
    line.product_id, line.variant_id, line.title = (
        product.platform_id,
        product.variants.first().platform_id,
        "Ylletröja",
    )
    line.save()
    delivered = make_order(
        store_b,
        email="anna@example.com",
        name="#B-200",
        customer_name="Anna Berg",
        shipping_address=SWEDISH_ADDRESS,
        fulfillment_status="fulfilled",
        delivered_at=timezone.now() - timedelta(days=2),
    )
    submitted = submit_request(
        store=store_b,
        order=make_order(
            store_b,
            email="anna@example.com",
            name="#B-300",
            customer_name="Anna Berg",
            shipping_address=SWEDISH_ADDRESS,
        ),
        actor=Actor.customer("anna@example.com"),
        kind="cancel",
        idempotency_key="sv-1",
        reason_code="changed_mind",
    )
    others = [
        make_request(
            store_b,
            status=status,
            email="anna@example.com",
            customer_name="Anna Berg",
            shipping_address=SWEDISH_ADDRESS,
        )
        for status in (RequestStatus.PENDING_REVIEW, RequestStatus.REJECTED, RequestStatus.FAILED)
    ]
    # The queue builders write a made-up trace; give them the one the policy really wrote.
    OrderRequest.objects.for_store(store_b).update(decision=submitted.decision)
    LineItem.objects.for_store(store_b).update(title="Ylletröja")  # names, not the factories' "Product 3"
    owner = make_member(store_b, "owner", email="agare@bravo.example")
    return {
        "store": store_b,
        "customer": user,
        "owner": owner,
        "open": open_order,
        "delivered": delivered,
        "requests": [submitted, *others],
    }


SWEDISH_ADDRESS = {
    "name": "Anna Berg",
    "address1": "Storgatan 1",
    "city": "Stockholm",
    "zip": "111 22",
    "country_code": "SE",
}


def _customer_pages(seed) -> list[str]:
    base = "/s/bravo-shop/"
    order, delivered = seed["open"], seed["delivered"]
    pages = [f"{base}orders/", f"{base}find-order/", f"{base}withdraw/"]
    for step in ("", "cancel/", "edit/address/", "edit/items/", "reorder/"):
        pages.append(f"{base}orders/{order.pk}/{step}")
    pages.append(f"{base}orders/{delivered.pk}/withdraw/")
    for order_request in seed["requests"]:
        pages.append(f"{base}orders/{order_request.order_id}/requests/{order_request.pk}/")
    pages.append(f"{base}o/{make_order_link_token(order)}/")
    return pages


def _staff_pages(seed) -> list[str]:
    base = "/app/bravo-shop/"
    pages = [
        base,
        f"{base}orders/",
        f"{base}orders/{seed['open'].pk}/",
        f"{base}queue/",
        f"{base}policy/",
        f"{base}policy/versions/",
        f"{base}rules/",
        f"{base}rules/new/",
        f"{base}bulk/",
        f"{base}insights/",
        f"{base}team/",
        f"{base}settings/",
        f"{base}audit/",
        f"{base}agencies/",
        f"{base}tokens/",
        f"{base}webhooks/",
    ]
    pages += [f"{base}queue/{order_request.pk}/" for order_request in seed["requests"]]
    return pages


def _problems(text: str, codes: set[str], phrases: list[str]) -> list[str]:
    found = []
    words = set(re.findall(r"[a-z][a-z_.]*[a-z]", text))
    found += [f"raw code {code!r}" for code in sorted(codes & words)]
    for phrase in phrases:
        # A time zone's name (Australia/Sydney) is an identifier, not a phrase.
        pattern = rf"(?<![\w/-]){re.escape(phrase)}(?![\w/-])"
        if re.search(pattern, text):
            found.append(f"English {phrase!r}")
            text = re.sub(pattern, " ", text)
    return found


def _crawl(client, pages, codes, phrases) -> dict[str, list[str]]:
    failures = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        allowed = SHOWN_ON_PURPOSE.get(url, set())
        problems = _problems(visible_text(html.unescape(response.content.decode())), codes - allowed, phrases)
        if problems:
            failures[url] = problems
    return failures


def test_the_swedish_customer_pages_show_no_code_and_no_english(client, swedish_store):
    # given Anna, signed in to a Swedish store, with orders and requests in several states
    client.force_login(swedish_store["customer"])
    events = set(RequestEvent.objects.for_store(swedish_store["store"]).values_list("action", flat=True))
    # when she opens every page of her journey, then none shows a code or English
    failures = _crawl(client, _customer_pages(swedish_store), raw_codes(events), english_strings())
    order_page = client.get(f"/s/bravo-shop/orders/{swedish_store['open'].pk}/").content.decode()
    assert "Sverige" in order_page  # the country by name, not its code
    assert not failures, "\n".join(f"{url}: {problems}" for url, problems in failures.items())


def test_the_swedish_sign_in_pages_show_no_code_and_no_english(client, swedish_store):
    client.post("/s/bravo-shop/signin/", {"email": "anna@example.com"})
    pages = ["/s/bravo-shop/", "/s/bravo-shop/signin/", "/s/bravo-shop/signin/code/"]
    failures = _crawl(client, pages, raw_codes(set()), english_strings())
    assert not failures, "\n".join(f"{url}: {problems}" for url, problems in failures.items())


def test_the_swedish_staff_pages_show_no_code_and_no_english(client, swedish_store):
    client.force_login(swedish_store["owner"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"  # staff read the language they chose
    events = set(RequestEvent.objects.for_store(swedish_store["store"]).values_list("action", flat=True))
    failures = _crawl(client, _staff_pages(swedish_store), raw_codes(events), english_strings())
    assert not failures, "\n".join(f"{url}: {problems}" for url, problems in failures.items())


def test_the_check_finds_a_raw_code_and_an_english_string():
    # The crawl's own check: a code printed raw, and an English phrase left untranslated, are found.
    text = visible_text("<p>Status: pending_review</p><button>Cancel order</button><p>Ylletröja</p>")
    problems = _problems(text, raw_codes(set()), english_strings())
    assert "raw code 'pending_review'" in problems
    assert "English 'Cancel order'" in problems
    assert len(problems) == 2
