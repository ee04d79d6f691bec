"""Secrets at rest (platform access tokens), encrypted with the FIELD_ENCRYPTION_KEYS.

The first key encrypts and every key decrypts, so a key is rotated by putting a new one in front,
re-encrypting (`manage.py rotate_platform_tokens`) and then dropping the old one.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key: secrets cannot be stored.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    # Keyed by the setting's value so tests that override the keys get a matching MultiFernet.
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_secret(plaintext: str) -> str:
    """Encrypt a secret with the first configured key."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    """Decrypt a secret with whichever configured key made it."""
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS.") from None


def reencrypt_secret(ciphertext: str) -> str:
    """Re-encrypt a secret with the first configured key (after a key rotation)."""
    try:
        return _current().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("The stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS.") from None
