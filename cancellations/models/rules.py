"""Automation rules: a store's own conditions on incoming orders, and what each rule did to which order.

Conditions and actions are JSON lists checked by `cancellations.rules.validation`; every match is a
`RuleMatch`, unique per (store, rule, order, event key), which is how a rule never acts twice on the
same order event however often the webhook behind it arrives.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import Order
from cancellations.models.requests import OrderRequest
from tenants.scoping import TenantModel

# Foreign keys other than `store` carry no index of their own (db_index=False): every index on a tenant
# table leads with store_id, and the composite indexes in Meta serve the lookups we make.


class RuleTrigger(models.TextChoices):
    ORDER_CREATED = "order_created", _("An order is created")
    ORDER_UPDATED = "order_updated", _("An order is updated")
    RISK_ASSESSED = "risk_assessed", _("An order's fraud risk is assessed")


class RuleMatchMode(models.TextChoices):
    ALL = "all", _("All conditions are met")
    ANY = "any", _("Any condition is met")


class AutomationRule(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0, help_text="Rules run in ascending position.")
    triggers = ArrayField(models.CharField(max_length=20, choices=RuleTrigger.choices), default=list)
    match = models.CharField(max_length=3, choices=RuleMatchMode.choices, default=RuleMatchMode.ALL)
    conditions = models.JSONField(default=list, blank=True, help_text='[{"type": ..., "negate": bool, ...}]')
    actions = models.JSONField(default=list, blank=True, help_text='[{"type": ..., ...}]')
    enabled = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False, help_text="Record what the rule would do, and do nothing.")
    stop_after_match = models.BooleanField(
        default=False, help_text="When this rule matches, later rules do not run for the event."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "position", "id"], name="automation_rule_order")]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RuleMatch(TenantModel):
    """One rule matching one order on one event: what it did (or, in dry-run, would have done)."""

    class Outcome(models.TextChoices):
        ACTED = "acted", _("Acted")
        DRY_RUN = "dry_run", _("Dry run: nothing done")
        PARTLY = "partly", _("Some actions could not be done")

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="matches", db_index=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", db_index=False)
    trigger = models.CharField(max_length=20, choices=RuleTrigger.choices)
    event_key = models.CharField(max_length=200)
    matched_at = models.DateTimeField(default=timezone.now)
    dry_run = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ACTED)
    conditions = models.JSONField(default=list, blank=True, help_text="Each condition and how it came out.")
    actions = models.JSONField(default=list, blank=True, help_text="Each action and what came of it.")
    request = models.ForeignKey(
        OrderRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["store", "rule", "order", "event_key"], name="rule_match_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["store", "rule", "-matched_at"], name="rule_match_log"),
            models.Index(fields=["store", "request"], name="rule_match_request"),
        ]
        ordering = ["-matched_at", "-id"]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on order {self.order_id} ({self.event_key})"


class FreightForwarderAddress(TenantModel):
    """An address a store knows as a parcel forwarder's; orders shipped there can be held or cancelled."""

    label = models.CharField(_("name"), max_length=120, blank=True)
    address1 = models.CharField(_("address"), max_length=255)
    address2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    zip = models.CharField(_("postcode"), max_length=32, blank=True)
    country_code = models.CharField(_("country"), max_length=2)
    # The address as the normaliser reads it; two entries that read the same are one entry.
    normalised = models.CharField(max_length=600)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "normalised"], name="freight_forwarder_store_address")
        ]
        ordering = ["country_code", "label", "id"]

    def __str__(self) -> str:
        return self.label or self.address1

    def as_mirror(self) -> dict[str, str]:
        """The address in the shape `Order.shipping_address` has."""
        values = {
            "address1": self.address1,
            "address2": self.address2,
            "city": self.city,
            "zip": self.zip,
            "country_code": self.country_code,
        }
        return {key: value for key, value in values.items() if value}
