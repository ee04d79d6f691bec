"""The demo data set: what `manage.py seed_demo` creates. Safe to run again (idempotent)."""

from __future__ import annotations

from typing import Any

from tenants.models import User

DEMO_PASSWORD = "amend-demo-2026"  # noqa: S105 - printed for demo users on purpose


def _ensure_user(email: str, *, password: str | None, **fields: Any) -> User:
    user, created = User.objects.get_or_create(email=email, defaults=fields)
    if created or (password and not user.check_password(password)):
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user


def seed_demo() -> dict[str, Any]:
    """Create the demo data and return the logins to show."""
    _ensure_user(
        "admin@amend.test", password=DEMO_PASSWORD, is_staff=True, is_superuser=True, name="Amend Admin"
    )
    return {
        "logins": [
            {"role": "Amend operator (/admin/)", "email": "admin@amend.test", "password": DEMO_PASSWORD},
        ],
        "notes": ["Emails sent by the demo are readable at /dev/mail/."],
    }
