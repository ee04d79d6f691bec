"""The rule pages: read by everyone in the store, changed by owners and admins, 404 across stores."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cancellations.models import AutomationRule, FreightForwarderAddress
from cancellations.rules.engine import run_rules
from tenants.roles import Role
from tests.factories import make_member, make_order
from tests.rules.helpers import make_rule, risky_order

pytestmark = pytest.mark.django_db

BASE = "/app/alpha-shop/rules/"


@pytest.fixture
def owner(store_a) -> Client:
    client = Client()
    client.force_login(make_member(store_a, Role.OWNER))
    return client


@pytest.fixture
def viewer(store_a) -> Client:
    client = Client()
    client.force_login(make_member(store_a, Role.VIEWER))
    return client


def _form(**extra) -> dict:
    data = {
        "name": "Hold big risky orders",
        "triggers": ["order_created", "risk_assessed"],
        "match": "all",
        "enabled": "on",
        "c-count": "2",
        "c0-type": "risk_level",
        "c0-values": ["high", "medium"],
        "c1-type": "total_above",
        "c1-amount": "250",
        "a-count": "2",
        "a0-type": "hold",
        "a0-note": "Call them",
        "a1-type": "tag",
        "a1-tag": "risky",
        "do": "save",
    }
    data.update(extra)
    return data


def test_the_list_shows_rules_in_order_with_their_state_and_a_nav_link(owner, store_a):
    make_rule(store_a, name="First rule", dry_run=True)
    make_rule(store_a, name="Second rule", enabled=False)
    response = owner.get(BASE)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("First rule") < body.index("Second rule")
    assert "Dry run" in body and "Switch on" in body
    assert f'href="{BASE}"' in body  # the "Rules" link in the store's menu


def test_the_list_costs_the_same_queries_for_few_or_many_rules(owner, store_a):
    make_rule(store_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get(BASE).status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        make_rule(store_a, name=f"Rule {n}")
    assert queries() == few


def test_a_rule_is_made_from_the_form_conditions_and_actions_included(owner, store_a):
    response = owner.post(f"{BASE}new/", _form())
    rule = AutomationRule.objects.for_store(store_a).get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}{rule.pk}/"
    assert rule.enabled and rule.triggers == ["order_created", "risk_assessed"]
    assert rule.conditions == [
        {"type": "risk_level", "negate": False, "values": ["high", "medium"]},
        {"type": "total_above", "negate": False, "amount": "250.00"},
    ]
    assert rule.actions == [{"type": "tag", "tag": "risky"}, {"type": "hold", "note": "Call them"}]


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(owner, store_a):
    response = owner.post(f"{BASE}new/", _form(do="add_condition", new_condition="sku", name="Draft name"))
    body = response.content.decode()
    assert response.status_code == 200
    assert not AutomationRule.objects.for_store(store_a).exists()
    assert 'value="Draft name"' in body
    assert 'name="c2-type" value="sku"' in body and 'name="c-count" value="3"' in body
    assert 'value="250' in body  # the amount typed in the other row
    assert "error-summary" not in body


def test_a_removed_row_is_left_out(owner, store_a):
    owner.post(f"{BASE}new/", _form(**{"c1-remove": "on", "a1-remove": "on"}))
    rule = AutomationRule.objects.for_store(store_a).get()
    assert [c["type"] for c in rule.conditions] == ["risk_level"]
    assert [a["type"] for a in rule.actions] == ["hold"]


def test_errors_are_shown_and_nothing_is_saved(owner, store_a):
    response = owner.post(f"{BASE}new/", _form(**{"c1-amount": "lots", "c-count": "2", "a-count": "0"}))
    body = response.content.decode()
    assert response.status_code == 400
    assert "error-summary" in body
    assert not AutomationRule.objects.for_store(store_a).exists()
    response = owner.post(f"{BASE}new/", _form(**{"a-count": "0"}))
    assert response.status_code == 400 and "Add at least one action." in response.content.decode()


def test_a_template_fills_in_the_new_rule_page(owner):
    body = owner.get(f"{BASE}new/?template=hold_freight_forwarders").content.decode()
    assert 'value="Hold orders to freight forwarders"' in body
    assert 'name="c0-type" value="freight_forwarder"' in body
    assert 'name="a0-type" value="hold"' in body


def test_editing_and_save_and_preview(owner, store_a):
    rule = make_rule(store_a, name="Old name")
    assert 'value="Old name"' in owner.get(f"{BASE}{rule.pk}/").content.decode()
    response = owner.post(f"{BASE}{rule.pk}/", _form(name="New name", do="save_preview"))
    assert response["Location"] == f"{BASE}{rule.pk}/preview/"
    rule.refresh_from_db()
    assert rule.name == "New name"


def test_preview_and_match_log_pages(owner, store_a):
    rule = make_rule(store_a, actions=[{"type": "tag", "tag": "seen"}])
    order = risky_order(store_a, name="#7001")
    make_order(store_a, name="#7002")
    run_rules(store=store_a, order=order, trigger="order_created", event_key="order_created:x")

    preview = owner.get(f"{BASE}{rule.pk}/preview/").content.decode()
    assert "#7001" in preview and "#7002" not in preview
    assert "1 of the 2 orders of the last 30 days matches" in preview

    log = owner.get(f"{BASE}{rule.pk}/matches/").content.decode()
    assert "#7001" in log and "already_tagged" not in log and "added" in log


def test_switching_moving_and_deleting_from_the_list(owner, store_a):
    first, second = make_rule(store_a, name="A"), make_rule(store_a, name="B")
    owner.post(f"{BASE}{first.pk}/switch/", {"enabled": "0"})
    owner.post(f"{BASE}{first.pk}/switch/", {"dry_run": "1"})
    owner.post(f"{BASE}{second.pk}/move/", {"direction": "up"})
    first.refresh_from_db()
    assert (first.enabled, first.dry_run, first.position) == (False, True, 1)
    assert owner.post(f"{BASE}{first.pk}/delete/")["Location"] == BASE
    assert list(AutomationRule.objects.for_store(store_a).values_list("name", flat=True)) == ["B"]


def test_the_forwarder_list_page(owner, store_a):
    response = owner.post(
        f"{BASE}forwarders/",
        {"label": "Fwd", "address1": "Storgatan 12", "zip": "111 22", "country_code": "se"},
    )
    assert response.status_code == 302
    entry = FreightForwarderAddress.objects.for_store(store_a).get()
    duplicate = owner.post(
        f"{BASE}forwarders/", {"address1": "STORGATAN 12", "zip": "11122", "country_code": "SE"}
    )
    assert duplicate.status_code == 400 and "already" in duplicate.content.decode()
    assert "Storgatan 12" in owner.get(f"{BASE}forwarders/").content.decode()
    owner.post(f"{BASE}forwarders/", {"remove": entry.pk})
    assert not FreightForwarderAddress.objects.for_store(store_a).exists()


def test_viewers_read_but_cannot_change(viewer, store_a):
    rule = make_rule(store_a)
    for path in ("", "new/", f"{rule.pk}/", f"{rule.pk}/preview/", f"{rule.pk}/matches/", "forwarders/"):
        response = viewer.get(f"{BASE}{path}")
        assert response.status_code == 200, path
        assert "Switch on" not in response.content.decode()
    for path in (
        "new/",
        f"{rule.pk}/",
        f"{rule.pk}/switch/",
        f"{rule.pk}/move/",
        f"{rule.pk}/delete/",
        "forwarders/",
    ):
        assert viewer.post(f"{BASE}{path}", _form()).status_code == 403, path
    assert AutomationRule.objects.for_store(store_a).count() == 1


def test_another_stores_rules_are_404_and_untouched(owner, store_a, store_b):
    theirs = make_rule(store_b, name="Bravo only")
    run_rules(store=store_b, order=risky_order(store_b), trigger="order_created", event_key="k")
    for path in (f"{theirs.pk}/", f"{theirs.pk}/preview/", f"{theirs.pk}/matches/"):
        assert owner.get(f"{BASE}{path}").status_code == 404, path
    for path in (f"{theirs.pk}/", f"{theirs.pk}/switch/", f"{theirs.pk}/move/", f"{theirs.pk}/delete/"):
        assert owner.post(f"{BASE}{path}", {**_form(), "enabled": "0"}).status_code == 404, path
    assert owner.post(f"{BASE}forwarders/", {"remove": 999999}).status_code == 404
    assert owner.get("/app/bravo-shop/rules/").status_code == 404
    assert "Bravo only" not in owner.get(BASE).content.decode()
    theirs.refresh_from_db()
    assert theirs.enabled and theirs.name == "Bravo only"
