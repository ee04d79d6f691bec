"""The store's policy, one row per saved version (the newest is in force)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.scoping import TenantModel


class StorePolicyVersion(TenantModel):
    """A saved policy. Never updated: every save adds the next version, and requests name the one they
    were decided under, so a decision can always be explained with the rules that made it."""

    version = models.PositiveIntegerField()
    data = models.JSONField(help_text="StorePolicy.to_dict()")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # Looked up by store and version only; an index on the user alone would not lead with the store.
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    change_summary = models.JSONField(
        default=list, blank=True, help_text='[{"field", "before", "after"}] against the previous version.'
    )

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "version"], name="store_policy_version_unique"),
        ]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"policy v{self.version}"
