"""Every tenant-owned table is keyed by store first, so it can be distributed by store_id (Citus)."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import ForeignKey

from tenants.models import ApiToken, Store, StoreDomain
from tenants.scoping import TenantModel

# Tables that point at a store but are looked up before any store is known (routing), kept whole on
# every node as reference tables. Each entry needs a reason; nothing else may point at Store.
ROUTING_TABLES = {
    StoreDomain: "a request's host name finds its store",
    # Found by its prefix before any store is known; a token may belong to an agency, not a store.
    ApiToken: "an API token's prefix finds the token, and so its store or agency",
}


def _tenant_models():
    return [model for model in apps.get_models() if issubclass(model, TenantModel)]


def test_there_are_tenant_models_to_check():
    names = {model.__name__ for model in _tenant_models()}
    assert {"Membership", "AgencyGrant", "StoreCustomer", "Order", "LineItem", "Product", "Variant"} <= names


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda m: m._meta.label)
def test_a_tenant_model_has_a_non_null_store(model):
    field = model._meta.get_field("store")
    assert isinstance(field, ForeignKey)
    assert field.related_model is Store
    assert not field.null


@pytest.mark.django_db
@pytest.mark.parametrize("model", _tenant_models(), ids=lambda m: m._meta.label)
def test_every_unique_constraint_and_index_of_a_tenant_table_leads_with_store(model):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    offending = {
        name: info["columns"]
        for name, info in constraints.items()
        if not info["primary_key"]
        and not info["foreign_key"]
        and not info["check"]
        and (info["unique"] or info["index"])
        and (info["columns"] or [None])[0] != "store_id"
    }
    assert offending == {}


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda m: m._meta.label)
def test_no_tenant_field_is_unique_on_its_own(model):
    unique_fields = [f.name for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    assert unique_fields == []


def test_only_tenant_models_and_routing_tables_point_at_a_store():
    pointing = {
        model
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, ForeignKey) and field.related_model is Store
    }
    assert pointing - set(_tenant_models()) == set(ROUTING_TABLES)
