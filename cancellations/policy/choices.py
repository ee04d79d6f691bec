"""The named choices a policy is made of: actions, window kinds, fee kinds, refund options, ..."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import FinancialStatus, FulfillmentStatus, RiskLevel

FINANCIAL_STATUSES: tuple[str, ...] = tuple(FinancialStatus.values)
FULFILLMENT_STATUSES: tuple[str, ...] = tuple(FulfillmentStatus.values)
RISK_LEVELS: tuple[str, ...] = tuple(RiskLevel.values)
# The shortest withdrawal period the law allows (Art. 9(1)); a shorter setting is refused and never applied.
LEGAL_WITHDRAWAL_DAYS = 14


class Action(models.TextChoices):
    CANCEL = "cancel", _("Cancel the order")
    EDIT_ADDRESS = "edit_address", _("Change the shipping address")
    EDIT_QUANTITY = "edit_quantity", _("Change a quantity")
    SWAP_VARIANT = "swap_variant", _("Swap size or colour")
    REMOVE_LINE = "remove_line", _("Remove an item")
    ADD_ITEM = "add_item", _("Add an item")
    REORDER = "reorder", _("Order again")
    WITHDRAWAL = "withdrawal", _("Withdraw from the purchase")


# The actions configured by an `ActionRule` (withdrawal has its own settings).
RULE_ACTIONS: tuple[Action, ...] = (
    Action.CANCEL,
    Action.EDIT_ADDRESS,
    Action.EDIT_QUANTITY,
    Action.SWAP_VARIANT,
    Action.REMOVE_LINE,
    Action.ADD_ITEM,
    Action.REORDER,
)


class WindowKind(models.TextChoices):
    ALWAYS = "always", _("No time limit")
    MINUTES = "minutes", _("A number of minutes after the order was placed")
    UNTIL_FULFILLMENT = "until_fulfillment", _("Until the store starts shipping")
    DAILY_CUTOFF = "daily_cutoff", _("Until a daily cut-off time")


class ExclusionScope(models.TextChoices):
    ORDER = "order", _("Block the whole action")
    LINES = "lines", _("Block only those items")


class FeeKind(models.TextChoices):
    NONE = "none", _("No fee")
    PERCENT = "percent", _("A percentage of the order")
    FIXED = "fixed", _("A fixed amount")


class RefundOption(models.TextChoices):
    ORIGINAL = "original", _("To the original payment method")
    STORE_CREDIT = "store_credit", _("As store credit")
    CUSTOMER_CHOICE = "customer_choice", _("The customer chooses")


class RetentionKind(models.TextChoices):
    NONE = "none", _("No offer")
    DISCOUNT_CODE = "discount_code", _("Offer a discount code to keep the order")
    SUGGEST_EDIT = "suggest_edit", _("Suggest changing the order instead")
