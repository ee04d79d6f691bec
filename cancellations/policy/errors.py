"""Errors of the store policy: it failed validation, or its stored data has a value of the wrong kind.

Every domain error in Amend subclasses `tenants.errors.DomainError` (a stable `code`, a human `message`,
an optional `field`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from tenants.errors import DomainError

if TYPE_CHECKING:
    from cancellations.policy.validation import FieldError

__all__ = ["PolicyDataError", "PolicyInvalid"]


class PolicyInvalid(DomainError):
    """A store policy failed validation; `errors` says which fields and why."""

    code = "policy_invalid"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(str(_("The policy has errors; please correct the fields marked.")))
        self.errors: tuple[FieldError, ...] = tuple(errors)


class PolicyDataError(DomainError):
    """Stored or submitted policy data has a value of the wrong kind (not a validation question)."""

    code = "policy_data_invalid"
