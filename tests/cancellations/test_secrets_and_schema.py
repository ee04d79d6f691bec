"""Tokens are encrypted at rest and survive key rotation; platform tables lead every index with store."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from cancellations.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from cancellations.models import PlatformConnection
from cancellations.platforms.shopify.connections import connect_shopify

pytestmark = pytest.mark.django_db

PLATFORM_TABLES = [
    "cancellations_platformconnection",
    "cancellations_oauthstate",
    "cancellations_webhookdelivery",
    "cancellations_compliancerequest",
    "cancellations_platformeffect",
    "cancellations_refund",
    "cancellations_inventoryadjustment",
]


def test_a_token_survives_a_key_rotation_and_the_old_key_can_then_go(settings, store_a):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    connect_shopify(
        store=store_a, shop="alpha.myshopify.com", access_token="shpat_secret_1", scopes=["write_orders"]
    )
    before = PlatformConnection.objects.for_store(store_a).get().access_token_encrypted

    # when a new key is put first and the tokens re-encrypted
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_platform_tokens", stdout=out)
    assert "Re-encrypted 1 platform token" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new]

    # then the token reads with the new key alone
    connection = PlatformConnection.objects.for_store(store_a).get()
    assert connection.access_token_encrypted != before
    assert connection.access_token == "shpat_secret_1"


def test_a_secret_made_with_an_unknown_key_is_unreadable_not_garbage(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    ciphertext = encrypt_secret("shpat_x")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable):
        decrypt_secret(ciphertext)


def test_every_index_and_unique_constraint_on_the_platform_tables_leads_with_store():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, a.attname
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE t.relname = ANY(%s) AND NOT x.indisprimary
            """,
            [PLATFORM_TABLES],
        )
        rows = cursor.fetchall()
    assert {table for table, _, _ in rows} == set(PLATFORM_TABLES)
    assert [(table, index) for table, index, column in rows if column != "store_id"] == []
