import pytest
from allauth.account.models import EmailAddress

from tests.factories import make_order, make_product, make_user


@pytest.fixture
def ann(store_a):
    """A signed-up customer of store A with a verified email."""
    user = make_user("ann@example.com")
    EmailAddress.objects.create(user=user, email="ann@example.com", verified=True, primary=True)
    return user


@pytest.fixture
def ann_order(store_a):
    product = make_product(store_a, title="Wool Sweater", variants=3)
    variants = list(product.variants.all())
    order = make_order(store_a, email="ann@example.com", name="#A-100", lines=1, financial_status="paid")
    line = order.line_items.get()
    line.product_id, line.variant_id, line.title = (
        product.platform_id,
        variants[0].platform_id,
        "Wool Sweater",
    )
    line.unit_price = variants[0].price
    line.save()
    return order


@pytest.fixture
def delivered(store_a):
    """Ann's order, delivered three days ago, at a store with the withdrawal function on (14 days)."""
    from datetime import timedelta

    from django.utils import timezone

    from cancellations.policy import WithdrawalSettings

    set_policy(store_a, withdrawal=WithdrawalSettings(enabled=True, period_days=14))
    return make_order(
        store_a,
        email="ann@example.com",
        name="#A-900",
        customer_name="Ann Buyer",
        fulfillment_status="fulfilled",
        delivered_at=timezone.now() - timedelta(days=3),
    )


@pytest.fixture
def signed_in(client, ann):
    client.force_login(ann)
    return client


def set_policy(store, **changes):
    """Save a policy for the store built from the defaults with some parts replaced."""
    from dataclasses import replace

    from cancellations.policy import DEFAULT_POLICY
    from cancellations.policy.services import save_policy

    return save_policy(store=store, actor=None, policy=replace(DEFAULT_POLICY, **changes))


def cancel_within(minutes):
    from dataclasses import replace

    from cancellations.policy import DEFAULT_POLICY, Window, WindowKind

    return replace(DEFAULT_POLICY.cancel, window=Window(WindowKind.MINUTES, minutes=minutes))
