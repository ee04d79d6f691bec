"""The store's policy through the API: read it, save it with the policy page's own checks."""

from __future__ import annotations

import pytest

from cancellations.models import StorePolicyVersion
from cancellations.policy.services import current_policy
from tenants.roles import Scope
from tests.api.conftest import TokenClient

pytestmark = pytest.mark.django_db


def _policy(store) -> str:
    return f"/api/v1/stores/{store.slug}/policy/"


def test_a_new_store_has_the_default_policy_as_version_0(api_a, store_a):
    body = api_a.get(_policy(store_a)).json()

    assert body["version"] == 0
    assert body["policy"] == current_policy(store=store_a)[0].to_dict()


def test_saving_a_policy_makes_a_new_version(api_a, store_a):
    policy = api_a.get(_policy(store_a)).json()["policy"]
    policy["allow_country_change"] = True

    response = api_a.put_json(_policy(store_a), {"policy": policy})

    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    assert current_policy(store=store_a)[0].allow_country_change is True
    assert StorePolicyVersion.objects.for_store(store_a).count() == 1


def test_an_invalid_policy_is_refused_field_by_field(api_a, store_a):
    policy = api_a.get(_policy(store_a)).json()["policy"]
    policy["withdrawal"]["enabled"] = True
    policy["withdrawal"]["period_days"] = 3
    policy["refunds"]["store_credit_bonus_percent"] = "250"

    response = api_a.put_json(_policy(store_a), {"policy": policy})

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    attrs = {error["attr"] for error in body["errors"]}
    assert {"policy.withdrawal.period_days", "policy.refunds.store_credit_bonus_percent"} <= attrs
    assert body["attr"] in attrs
    assert all(set(error) == {"type", "code", "detail", "attr"} for error in body["errors"])
    assert StorePolicyVersion.objects.for_store(store_a).count() == 0


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({}, "policy"),
        ({"policy": "strict"}, "policy"),
        ({"policy": {"actions": "none"}}, "policy.actions"),
        ({"policy": {"withdrawal": {"period_days": "two weeks"}}}, "policy.withdrawal.period_days"),
    ],
)
def test_a_policy_of_the_wrong_shape_is_a_400(api_a, store_a, body, attr):
    response = api_a.put_json(_policy(store_a), body)

    assert response.status_code == 400, response.content
    assert response.json()["attr"] == attr


def test_changing_the_policy_needs_policy_write(make_token, store_a):
    api = TokenClient(make_token(scopes=[Scope.ORDERS_READ]))

    assert api.get(_policy(store_a)).status_code == 200
    assert api.put_json(_policy(store_a), {"policy": {}}).status_code == 403


def test_another_stores_policy_is_a_404(api_a, store_b):
    assert api_a.get(_policy(store_b)).status_code == 404
    assert api_a.put_json(_policy(store_b), {"policy": {}}).status_code == 404
    assert StorePolicyVersion.objects.for_store(store_b).count() == 0


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=BoUnDaRy", "application/x-www-form-urlencoded", "text/plain"],
)
def test_a_body_that_is_not_json_is_refused_and_saves_nothing(api_a, store_a, content_type):
    body = "--BoUnDaRy--\r\n" if content_type.startswith("multipart") else "policy=strict"

    response = api_a.put(_policy(store_a), body, content_type=content_type)

    assert response.status_code == 415, response.content
    assert response.json()["code"] == "unsupported_media_type"
    assert StorePolicyVersion.objects.for_store(store_a).count() == 0
