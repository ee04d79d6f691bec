"""Models of the cancellations app, one module per topic."""

from cancellations.models.catalogue import Product, Variant
from cancellations.models.orders import FinancialStatus, FulfillmentStatus, LineItem, Order, RiskLevel

__all__ = [
    "FinancialStatus",
    "FulfillmentStatus",
    "LineItem",
    "Order",
    "Product",
    "RiskLevel",
    "Variant",
]
