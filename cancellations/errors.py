"""Errors the cancellations app raises on purpose.

There is one base for every domain error in Amend, `tenants.errors.DomainError` (a stable `code`, a human
`message`, an optional `field`); it is re-exported here so callers in this app import from one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from tenants.errors import Conflict, DomainError, NotFound, PermissionDenied

if TYPE_CHECKING:
    from cancellations.policy.validation import FieldError

__all__ = [
    "Conflict",
    "DomainError",
    "NotFound",
    "PermissionDenied",
    "PolicyDataError",
    "PolicyInvalid",
]


class PolicyInvalid(DomainError):
    """A store policy failed validation; `errors` says which fields and why."""

    code = "policy_invalid"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(str(_("The policy has errors; please correct the fields marked.")))
        self.errors: tuple[FieldError, ...] = tuple(errors)


class PolicyDataError(DomainError):
    """Stored or submitted policy data has a value of the wrong kind (not a validation question)."""

    code = "policy_data_invalid"
