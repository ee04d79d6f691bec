"""The store-policy page: everyone in the store reads it, owners and admins save new versions of it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cancellations.models import StorePolicyVersion
from cancellations.policy import StorePolicy, flatten_policy, validate_policy
from cancellations.policy.services import current_policy, save_policy
from portal.merchant.policy.page import page_fields
from tenants.models import StoreAuditEvent, User
from tenants.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PAGE = "/app/alpha-shop/policy/"
VERSIONS = "/app/alpha-shop/policy/versions/"

# A policy in which every setting differs from the defaults, so a round trip through the page shows
# whether the page carries each one.
BUSY: dict[str, Any] = {
    "actions": {
        action: {
            "enabled": action not in ("cancel", "edit_address", "reorder"),
            "window": {"kind": "minutes", "minutes": 90, "cutoff": "15:30"},
            "financial_statuses": ["paid"],
            "fulfillment_statuses": ["unfulfilled", "restocked"],
            "product_exclusions": {
                "product_types": ["Gift card"],
                "product_tags": ["final-sale", "custom"],
                "skus": ["SKU-1"],
                "scope": "order",
            },
            "order_exclusions": {"tags": ["wholesale"], "risk_levels": ["high"]},
            "approval": {
                "always": True,
                "over_value": "500.00",
                "risk_levels": ["low"],
                "discount_used": True,
                "grace_minutes": 30,
            },
        }
        for action in (
            "cancel",
            "edit_address",
            "edit_quantity",
            "swap_variant",
            "remove_line",
            "add_item",
            "reorder",
        )
    },
    "allow_country_change": True,
    "additions": {"tag": "add-on", "max_items": 5},
    "reasons": {
        "choices": [{"code": "too_late", "labels": {"en": "Too late", "sv": "För sent"}}],
        "required": False,
        "free_text": False,
    },
    "retention": {
        "kind": "discount_code",
        "discount_code": "STAY10",
        "messages": {"en": "Stay!", "sv": "Stanna!"},
    },
    "fees": {
        "kind": "percent",
        "percent": "5",
        "fixed": "4.95",
        "minimum": "2.00",
        "maximum": "15.00",
        "waived_reasons": ["too_late"],
    },
    "refunds": {
        "method": "customer_choice",
        "store_credit_bonus_percent": "10",
        "store_credit_bonus_fixed": "2.50",
    },
    "limits": {
        "edit_sessions_per_order": 2,
        "cancellations_per_customer": 3,
        "cancellation_period_days": 60,
        "messages": {"en": "Please write to us instead.", "sv": "Skriv till oss i stället."},
    },
    "withdrawal": {
        "enabled": True,
        "period_days": 30,
        "exclusions": {
            "product_types": ["Food"],
            "product_tags": ["hygiene"],
            "skus": ["MADE-1"],
            "scope": "order",
        },
    },
    "fulfilment_hold": {"enabled": True, "max_minutes": 45},
}


class _Page(HTMLParser):
    """What a test needs of a page: the policy form's data as a browser would send it, and each element
    with an id (its attributes and text)."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        self._open: list[dict[str, Any]] = []
        self._in_form = False
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for element in self._open:
            if element["tag"] == tag:
                element["depth"] += 1
        if attributes.get("id"):
            self.by_id[attributes["id"]] = {"tag": tag, "attrs": attributes, "text": ""}
            if tag not in self.VOID:
                self._open.append({"id": attributes["id"], "tag": tag, "depth": 1})
        if tag == "form" and attributes.get("id") == "policy-form":
            self._in_form = True
        name = attributes.get("name")
        if not self._in_form or not name:
            return
        if tag == "input" and attributes.get("type") in ("checkbox", "radio"):
            if "checked" in attributes:
                self.data.setdefault(name, []).append(attributes.get("value") or "on")
        elif tag == "input":
            self.data.setdefault(name, []).append(attributes.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag: str) -> None:
        for element in list(self._open):
            if element["tag"] == tag:
                element["depth"] -= 1
                if element["depth"] == 0:
                    self._open.remove(element)
        if tag == "form":
            self._in_form = False
        if tag == "textarea" and self._textarea:
            self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        for element in self._open:
            self.by_id[element["id"]]["text"] += data
        if self._textarea:
            self.data[self._textarea][-1] += data


def _page(client: Client, url: str = PAGE) -> _Page:
    response = client.get(url)
    assert response.status_code == 200
    return _Page(response.content.decode())


def _post(client: Client, **changes: str | list[str]) -> Any:
    """Post the page as shown, with some fields changed (an empty list unticks every box of a field)."""
    data = _page(client).data
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return client.post(PAGE, data)


@pytest.fixture
def people(store_a, store_b) -> dict[str, User]:
    return {
        "viewer": make_member(store_a, Role.VIEWER),
        "agent": make_member(store_a, Role.AGENT),
        "admin": make_member(store_a, Role.ADMIN, email="admin@alpha.example"),
        "owner": make_member(store_a, Role.OWNER, email="owner@alpha.example"),
        "owner_b": make_member(store_b, Role.OWNER),
    }


@pytest.fixture
def admin_client(client: Client, people: dict[str, User]) -> Client:
    client.force_login(people["admin"])
    return client


@pytest.mark.parametrize(
    ("role", "can_save"), [("viewer", False), ("agent", False), ("admin", True), ("owner", True)]
)
def test_everyone_in_the_store_reads_the_policy_and_only_owners_and_admins_can_save(
    client, people, role, can_save
) -> None:
    client.force_login(people[role])

    response = client.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    page = _Page(body)
    assert 'aria-current="page">Policy</a>' in body
    assert page.by_id["section-cancel"]["tag"] == "fieldset"
    assert page.by_id["id_cancel-window__minutes"]["tag"] == "input"
    assert ("policy-form" in page.by_id and page.by_id["policy-form"]["tag"] == "form") is can_save
    assert ("Save as a new version" in body) is can_save
    assert ("disabled" in page.by_id["id_fees-maximum"]["attrs"]) is not can_save
    assert ("id_reasons-0-DELETE" in page.by_id) is can_save


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_a_viewer_or_an_agent_cannot_save(client, store_a, people, role) -> None:
    client.force_login(people[role])

    response = client.post(PAGE, {"base_version": "0", "fees-kind": "fixed", "fees-fixed": "9.99"})

    assert response.status_code == 403
    assert not StorePolicyVersion.objects.for_store(store_a).exists()


def test_a_save_is_a_new_version_with_what_changed_and_an_audit_entry(admin_client, store_a, people) -> None:
    response = _post(
        admin_client,
        **{"cancel-window__kind": "minutes", "cancel-window__minutes": "60", "fees-kind": "fixed"},
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert "Policy saved as version 1." in admin_client.get(PAGE).content.decode()
    policy, version = current_policy(store=store_a)
    assert version == 1
    assert policy.cancel.window.minutes == 60
    saved = StorePolicyVersion.objects.for_store(store_a).get()
    assert saved.created_by == people["admin"]
    assert saved.change_summary == [
        {"field": "actions.cancel.window.kind", "before": "until_fulfillment", "after": "minutes"},
        {"field": "actions.cancel.window.minutes", "before": None, "after": 60},
        {"field": "fees.kind", "before": "none", "after": "fixed"},
    ]
    event = StoreAuditEvent.objects.for_store(store_a).get(action="policy.saved")
    assert event.actor == people["admin"]
    assert event.data == {"version": 1, "changes": saved.change_summary}


def test_the_page_carries_every_setting_of_the_policy(admin_client, store_a, people) -> None:
    # given a policy in which every setting differs from the defaults
    busy = StorePolicy.from_dict(BUSY)
    assert validate_policy(busy) == []
    default = flatten_policy(StorePolicy())
    assert all(value != default[path] for path, value in flatten_policy(busy).items() if path in default)
    save_policy(store=store_a, actor=people["owner"], policy=busy)

    # when it is saved from the page without touching anything
    response = _post(admin_client)

    # then nothing changed
    assert response.status_code == 302
    saved = StorePolicyVersion.objects.for_store(store_a).get(version=2)
    assert saved.change_summary == []
    assert current_policy(store=store_a) == (busy, 2)
    assert "Policy saved as version 2; nothing had changed." in admin_client.get(PAGE).content.decode()


def test_every_setting_of_the_policy_has_a_field_on_the_page() -> None:
    # BUSY sets every per-language text too, which the defaults leave empty.
    policy = StorePolicy.from_dict(BUSY)
    settings = {path for path in flatten_policy(policy) if not path.startswith("reasons.choices.")}
    assert settings == set(page_fields())


INVALID = [
    pytest.param(
        {"cancel-window__kind": "until_fulfillment", "cancel-approval__grace_minutes": "30"},
        "id_cancel-approval__grace_minutes",
        "Grace period needs a time window (minutes after the order, or a daily cut-off).",
        "30",
        id="grace-without-window",
    ),
    pytest.param(
        {"fees-kind": "fixed", "fees-minimum": "10.00", "fees-maximum": "5.00"},
        "id_fees-maximum",
        "Maximum fee is below the minimum.",
        "5.00",
        id="max-below-min",
    ),
    pytest.param(
        {"reasons-1-code": "changed_mind"},
        "id_reasons-1-code",
        "The code “changed_mind” is used by another reason.",
        "changed_mind",
        id="duplicate-reason",
    ),
    pytest.param(
        {"edit_address-window__kind": "daily_cutoff", "edit_address-window__cutoff": "25:00"},
        "id_edit_address-window__cutoff",
        "Use a 24-hour time like 14:00.",
        "25:00",
        id="bad-cutoff",
    ),
    pytest.param(
        {"withdrawal-enabled": "on", "withdrawal-period_days": "7"},
        "id_withdrawal-period_days",
        "The legal withdrawal period is at least 14 days.",
        "7",
        id="withdrawal-too-short",
    ),
    pytest.param(
        {"refunds-store_credit_bonus_percent": "10"},
        "id_refunds-store_credit_bonus_percent",
        "A store-credit bonus needs store credit as a refund method.",
        "10",
        id="bonus-without-store-credit",
    ),
    pytest.param(
        {"fees-fixed": "abc"},
        "id_fees-fixed",
        "Enter a number.",
        "abc",
        id="not-a-number",
    ),
]


@pytest.mark.parametrize(("changes", "field_id", "message", "typed"), INVALID)
def test_a_wrong_setting_is_explained_next_to_its_field_and_nothing_typed_is_lost(
    admin_client, store_a, changes, field_id, message, typed
) -> None:
    response = _post(admin_client, **changes, **{"retention-discount_code": "KEEPME"})

    assert response.status_code == 400
    assert not StorePolicyVersion.objects.for_store(store_a).exists()
    page = _Page(response.content.decode())
    assert message in page.by_id[f"{field_id}_error"]["text"]
    field = page.by_id[field_id]
    assert f"{field_id}_error" in field["attrs"]["aria-describedby"].split()
    assert field["attrs"]["aria-invalid"] == "true"
    assert field["attrs"]["value"] == typed
    assert page.data["retention-discount_code"] == ["KEEPME"]
    for name, value in changes.items():
        assert page.data[name] == [value]
    summary = page.by_id["error-summary-title"]["text"]
    assert "Nothing was saved: 1 setting needs a change." in summary
    assert f'href="#{field_id}"' in response.content.decode()


def test_an_error_on_a_checkbox_group_is_tied_to_the_group(admin_client) -> None:
    response = _post(admin_client, **{"cancel-financial_statuses": []})

    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose at least one payment status, or turn this action off." in body
    assert re.search(r'<fieldset aria-describedby="[^"]*\bid_cancel-financial_statuses_error\b', body)


def test_a_reason_error_is_shown_on_its_row_when_rows_above_it_are_removed(admin_client) -> None:
    # Row 0 is removed, so row 2 is the policy's second reason: its error must still land on row 2.
    response = _post(admin_client, **{"reasons-0-DELETE": "on", "reasons-2-code": "ordered_by_mistake"})

    assert response.status_code == 400
    page = _Page(response.content.decode())
    assert "is used by another reason" in page.by_id["id_reasons-2-code_error"]["text"]
    assert "id_reasons-1-code_error" not in page.by_id
    assert page.data["reasons-0-DELETE"] == ["on"]


def test_reasons_are_added_in_an_empty_row_and_removed_by_ticking_remove(admin_client, store_a) -> None:
    response = _post(
        admin_client,
        **{
            "reasons-0-DELETE": "on",
            "reasons-6-code": "too_late",
            "reasons-6-labels__en": "It arrives too late",
            "reasons-6-labels__sv": "Den kommer för sent",
        },
    )

    assert response.status_code == 302
    policy, _version = current_policy(store=store_a)
    codes = [reason.code for reason in policy.reasons.choices]
    assert codes == [
        "ordered_by_mistake",
        "found_cheaper",
        "delivery_too_slow",
        "wrong_item",
        "other",
        "too_late",
    ]
    assert policy.reasons.get("too_late").labels == {"en": "It arrives too late", "sv": "Den kommer för sent"}
    page = _page(admin_client)
    assert page.data["reasons-TOTAL_FORMS"] == ["9"]  # six reasons and three empty rows again
    assert page.data["reasons-5-code"] == ["too_late"]


def test_a_save_over_a_newer_version_is_refused_and_keeps_the_input(admin_client, store_a, people) -> None:
    data = _page(admin_client).data
    save_policy(
        store=store_a, actor=people["owner"], policy=StorePolicy.from_dict({"fees": {"kind": "fixed"}})
    )
    data["retention-discount_code"] = ["KEEPME"]

    response = admin_client.post(PAGE, data)

    assert response.status_code == 409
    assert "Version 1 was saved while you were editing" in response.content.decode()
    page = _Page(response.content.decode())
    assert page.data["retention-discount_code"] == ["KEEPME"]
    assert page.data["base_version"] == ["1"]
    assert admin_client.post(PAGE, page.data).status_code == 302
    assert current_policy(store=store_a)[1] == 2


def test_the_version_history_lists_every_version_newest_first(admin_client, store_a, people) -> None:
    one_hour = StorePolicy.from_dict({"actions": {"cancel": {"window": {"kind": "minutes", "minutes": 60}}}})
    save_policy(store=store_a, actor=people["owner"], policy=one_hour)
    save_policy(store=store_a, actor=people["admin"], policy=StorePolicy())

    body = admin_client.get(VERSIONS).content.decode()

    assert body.index("Version 2") < body.index("Version 1")
    assert body.index("admin@alpha.example") < body.index("owner@alpha.example")
    assert "Cancel the order: Minutes after the order was placed" in body
    assert "actions.cancel.window.minutes" in body
    assert "A number of minutes after the order was placed" in body  # the window kind, as the page names it


def test_a_version_is_shown_read_only_as_it_was_saved(admin_client, store_a, people) -> None:
    one_hour = StorePolicy.from_dict({"actions": {"cancel": {"window": {"kind": "minutes", "minutes": 60}}}})
    save_policy(store=store_a, actor=people["owner"], policy=one_hour)
    save_policy(store=store_a, actor=people["owner"], policy=StorePolicy())

    page = _page(admin_client, f"{VERSIONS}1/")

    field = page.by_id["id_cancel-window__minutes"]
    assert field["attrs"]["value"] == "60"
    assert "disabled" in field["attrs"]
    assert page.data == {}  # no form to post
    defaults = _page(admin_client, f"{VERSIONS}0/")
    assert "value" not in defaults.by_id["id_cancel-window__minutes"]["attrs"]
    assert admin_client.get(f"{VERSIONS}3/").status_code == 404


def test_another_stores_policy_and_versions_are_not_found(client, store_a, store_b, people) -> None:
    secret = StorePolicy.from_dict({"retention": {"kind": "discount_code", "discount_code": "BRAVOSECRET"}})
    save_policy(store=store_b, actor=people["owner_b"], policy=secret)
    save_policy(store=store_b, actor=people["owner_b"], policy=secret)
    client.force_login(people["owner"])

    for url in (
        "/app/bravo-shop/policy/",
        "/app/bravo-shop/policy/versions/",
        "/app/bravo-shop/policy/versions/1/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/app/bravo-shop/policy/", {"base_version": "2"}).status_code == 404
    # store A has no version 2 of its own; store B's is not shown in its place
    assert client.get(f"{VERSIONS}2/").status_code == 404
    assert "BRAVOSECRET" not in client.get(VERSIONS).content.decode()
    assert StorePolicyVersion.objects.for_store(store_b).count() == 2


def test_the_pages_run_as_many_queries_however_long_the_history(admin_client, store_a, people) -> None:
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    save_policy(store=store_a, actor=people["owner"], policy=StorePolicy())
    few = (queries(PAGE), queries(VERSIONS), queries(f"{VERSIONS}1/"))
    for n in range(5):
        policy = StorePolicy.from_dict(
            {**BUSY, "actions": {"cancel": {"window": {"kind": "minutes", "minutes": 10 + n}}}}
        )
        save_policy(store=store_a, actor=people["admin" if n % 2 else "owner"], policy=policy)

    assert (queries(PAGE), queries(VERSIONS), queries(f"{VERSIONS}1/")) == few


def test_the_page_speaks_swedish(admin_client) -> None:
    admin_client.cookies["django_language"] = "sv"

    body = admin_client.get(PAGE).content.decode()

    assert "Butikens villkor" in body
    assert "Spara som en ny version" in body
    assert "Den nya adressen får ligga i ett annat land" in body
