"""Models of the cancellations app, one module per topic."""

from cancellations.models.catalogue import Product, Variant
from cancellations.models.effects import InventoryAdjustment, PlatformEffect, Refund, RefundMethod
from cancellations.models.orders import FinancialStatus, FulfillmentStatus, LineItem, Order, RiskLevel
from cancellations.models.platforms import ComplianceRequest, OAuthState, PlatformConnection, WebhookDelivery
from cancellations.models.policy import StorePolicyVersion

__all__ = [
    "ComplianceRequest",
    "FinancialStatus",
    "FulfillmentStatus",
    "InventoryAdjustment",
    "LineItem",
    "OAuthState",
    "Order",
    "PlatformConnection",
    "PlatformEffect",
    "Product",
    "Refund",
    "RefundMethod",
    "RiskLevel",
    "StorePolicyVersion",
    "Variant",
    "WebhookDelivery",
]
