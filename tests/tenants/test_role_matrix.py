"""Each role can do exactly what its scopes allow, on every merchant page and API route."""

import pytest
from django.urls import URLPattern, get_resolver, reverse

from portal.api.base import StoreScopedAPIView
from portal.merchant.base import StoreStaffView
from tenants.roles import ROLE_SCOPES, Role, Scope
from tests.factories import grant, make_agency, make_agency_member, make_member, make_order

pytestmark = pytest.mark.django_db

EXPECTED_SCOPES = {
    Role.VIEWER: {Scope.ORDERS_READ, Scope.REQUESTS_READ},
    Role.AGENT: {Scope.ORDERS_READ, Scope.REQUESTS_READ, Scope.REQUESTS_DECIDE},
    Role.ADMIN: {
        Scope.ORDERS_READ,
        Scope.REQUESTS_READ,
        Scope.REQUESTS_DECIDE,
        Scope.POLICY_WRITE,
        Scope.RULES_WRITE,
        Scope.TEAM_MANAGE,
        Scope.TOKENS_MANAGE,
    },
    Role.OWNER: set(Scope.ALL),
}


def test_roles_map_to_these_scopes():
    assert {role: set(scopes) for role, scopes in ROLE_SCOPES.items()} == EXPECTED_SCOPES


def _scoped_routes():
    """(url name, view class, kwargs names) for every store-scoped page and API route."""

    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
                if view and issubclass(view, StoreStaffView | StoreScopedAPIView):
                    yield f"{namespace}:{pattern.name}", view, list(pattern.pattern.converters)
            else:
                yield from walk(pattern.url_patterns, prefix, pattern.namespace or namespace)

    return list(walk(get_resolver().url_patterns))


def test_every_store_scoped_route_declares_its_scopes():
    routes = _scoped_routes()
    assert len(routes) >= 15
    for name, view, _ in routes:
        assert view.required_scopes, name
        assert set(view.required_scopes.values()) <= Scope.ALL, name


@pytest.fixture
def team(store_a):
    order = make_order(store_a)
    people = {role: make_member(store_a, role) for role in Role.values}
    return {"people": people, "order": order}


def _kwargs(store, order, names):
    # The scope check runs before any object is looked up, so other keywords may name nothing that exists.
    values = {"store_slug": store.slug, "order_id": order.pk}
    return {name: values.get(name, 999999) for name in names}


@pytest.mark.parametrize("role", Role.values)
def test_a_role_passes_exactly_the_scope_checks_its_scopes_allow(client, store_a, team, role):
    client.force_login(team["people"][role])
    scopes = ROLE_SCOPES[role]
    for name, view, converters in _scoped_routes():
        url = reverse(name, kwargs=_kwargs(store_a, team["order"], [*converters, "store_slug"]))
        for method, scope in view.required_scopes.items():
            response = getattr(client, method.lower())(url)
            if scope in scopes:
                assert response.status_code != 403, f"{role} {method} {url} was refused"
            else:
                assert response.status_code == 403, f"{role} {method} {url} answered {response.status_code}"


def test_agency_staff_act_with_the_granted_role_never_more(client, store_a, team):
    agency = make_agency()
    member = make_agency_member(agency)
    grant(store_a, agency, Role.VIEWER)
    client.force_login(member)
    assert client.get(reverse("merchant:orders", kwargs={"store_slug": store_a.slug})).status_code == 200
    assert client.get(reverse("merchant:team", kwargs={"store_slug": store_a.slug})).status_code == 403
    assert client.get(reverse("merchant:settings", kwargs={"store_slug": store_a.slug})).status_code == 403


def test_a_member_who_is_also_agency_staff_gets_the_higher_role(client, store_a):
    agency = make_agency()
    person = make_member(store_a, Role.VIEWER)
    from tenants.models import AgencyMembership

    AgencyMembership.objects.create(agency=agency, user=person)
    grant(store_a, agency, Role.ADMIN)
    client.force_login(person)
    assert client.get(reverse("merchant:team", kwargs={"store_slug": store_a.slug})).status_code == 200
