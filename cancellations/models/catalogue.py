"""A store's catalogue, mirrored for variant swaps and reorders."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from cancellations.models.fields import MoneyField
from tenants.scoping import TenantModel


class Product(TenantModel):
    platform_id = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    product_type = models.CharField(max_length=255, blank=True)
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    active = models.BooleanField(default=True)
    image_url = models.URLField(
        max_length=2048, blank=True, help_text="The product's main image (https only); empty when none."
    )
    platform_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "platform_id"], name="product_store_platform_id")
        ]
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Variant(TenantModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants", db_index=False)
    platform_id = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    sku = models.CharField(max_length=100, blank=True)
    price = MoneyField()
    available = models.BooleanField(default=True)
    inventory_quantity = models.IntegerField(
        null=True, blank=True, help_text="Empty when stock is not tracked."
    )
    position = models.PositiveIntegerField(default=0)
    image_url = models.URLField(
        max_length=2048, blank=True, help_text="This variant's own image (https only); empty when none."
    )

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "platform_id"], name="variant_store_platform_id")
        ]
        indexes = [models.Index(fields=["store", "product"], name="variant_store_product")]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.title}"

    @property
    def in_stock(self) -> bool:
        return self.available and (self.inventory_quantity is None or self.inventory_quantity > 0)
