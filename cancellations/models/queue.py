"""How a store runs its support queue: the response target staff are measured against.

Kept apart from the policy on purpose: the policy decides what customers may do, and every change to it
is a new version that requests name; how fast staff answer is the store's own working agreement and
changes nothing about a decision.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantModel

DEFAULT_RESPONSE_TARGET_HOURS = 24
MAX_RESPONSE_TARGET_HOURS = 24 * 30


class QueueSettings(TenantModel):
    """One row per store (absent: the defaults)."""

    response_target_hours = models.PositiveIntegerField(
        _("response target (hours)"),
        default=DEFAULT_RESPONSE_TARGET_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RESPONSE_TARGET_HOURS)],
        help_text=_("How long a request may wait for review before it counts as late."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store"], name="queue_settings_store")]
        verbose_name_plural = "queue settings"

    def __str__(self) -> str:
        return f"queue settings of store {self.store_id}"

    @property
    def response_target(self) -> timedelta:
        return timedelta(hours=self.response_target_hours)
