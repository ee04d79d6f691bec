"""The demo data set: what `manage.py seed_demo` creates. Safe to run again (idempotent)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress

from cancellations.models import FinancialStatus, FulfillmentStatus, Order, OrderRequest, RequestKind
from cancellations.policy import DEFAULT_POLICY, RetentionKind, RetentionOffer, WithdrawalSettings
from cancellations.policy.services import current_policy, save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from portal.dev.demo_orders import seed_demo_catalogue_and_orders
from tenants.models import Agency, AgencyGrant, AgencyMembership, Membership, Store, StoreCustomer, User
from tenants.roles import AgencyRole, Role

DEMO_PASSWORD = "amend-demo-2026"  # noqa: S105 - printed for demo users on purpose

STORES = [
    {
        "slug": "nordic-threads",
        "name": "Nordic Threads",
        "locale": "sv",
        "currency": "SEK",
        "timezone": "Europe/Stockholm",
        "accent_colour": "#0f766e",
    },
    {
        "slug": "acme-outdoor",
        "name": "Acme Outdoor",
        "locale": "en",
        "currency": "USD",
        "timezone": "America/New_York",
        "accent_colour": "#c2410c",
    },
]
CUSTOMERS = {"nordic-threads": "anna.svensson@example.com", "acme-outdoor": "jamie.doe@example.com"}


def _ensure_user(email: str, *, password: str | None, name: str = "", **fields: Any) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"name": name, **fields})
    if created or (password and not user.check_password(password)):
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _ensure_store(spec: dict[str, str]) -> Store:
    store, _ = Store.objects.get_or_create(
        slug=spec["slug"], defaults={k: v for k, v in spec.items() if k != "slug"}
    )
    return store


def seed_demo(*, orders_per_store: int = 300) -> dict[str, Any]:
    """Create the demo stores, people and orders; return the logins to show."""
    logins: list[dict[str, str]] = []
    _ensure_user(
        "admin@amend.test", password=DEMO_PASSWORD, name="Amend Admin", is_staff=True, is_superuser=True
    )
    logins.append(
        {"role": "Amend operator (/admin/)", "email": "admin@amend.test", "password": DEMO_PASSWORD}
    )

    agency, _ = Agency.objects.get_or_create(slug="bright-agency", defaults={"name": "Bright Agency"})
    agency_user = _ensure_user("alex@bright-agency.test", password=DEMO_PASSWORD, name="Alex Agency")
    AgencyMembership.objects.get_or_create(
        agency=agency, user=agency_user, defaults={"role": AgencyRole.OWNER}
    )

    stores = [_ensure_store(spec) for spec in STORES]
    for store in stores:
        for role in (Role.OWNER, Role.ADMIN, Role.AGENT, Role.VIEWER):
            email = f"{role}@{store.slug}.test"
            user = _ensure_user(email, password=DEMO_PASSWORD, name=f"{store.name} {role}")
            Membership.objects.for_store(store).get_or_create(store=store, user=user, defaults={"role": role})
            logins.append({"role": f"{store.name}: {role}", "email": email, "password": DEMO_PASSWORD})
        customer_email = CUSTOMERS[store.slug]
        _seed_policy(store, owner_email=f"owner@{store.slug}.test")
        logins.append(
            {"role": f"{store.name}: customer (/s/{store.slug}/)", "email": customer_email, "password": ""}
        )
        _seed_orders(store, customer_email, orders_per_store)
        _seed_requests(store)

    # The agency works in the English store only.
    english = stores[1]
    owner = User.objects.get(email=f"owner@{english.slug}.test")
    if not AgencyGrant.objects.for_store(english).filter(agency=agency, revoked_at__isnull=True).exists():
        AgencyGrant.objects.create(store=english, agency=agency, role=Role.AGENT, granted_by=owner)
    logins.append(
        {
            "role": "Bright Agency (/agency/bright-agency/)",
            "email": agency_user.email,
            "password": DEMO_PASSWORD,
        }
    )

    return {
        "logins": logins,
        "notes": [
            "Customers sign in at /s/<store>/ with a code sent by email: read it at /dev/mail/.",
            "Staff sign in at /accounts/login/ with the password shown.",
        ],
    }


def _seed_policy(store: Store, *, owner_email: str) -> None:
    """A policy that shows every path: some requests go through at once, bigger ones wait for review."""
    _policy, version = current_policy(store=store)
    if version:
        return
    swedish = store.locale == "sv"
    approval = replace(DEFAULT_POLICY.cancel.approval, over_value=Decimal("650.00"))
    items = replace(DEFAULT_POLICY.cancel, approval=replace(DEFAULT_POLICY.cancel.approval, always=True))
    policy = replace(
        DEFAULT_POLICY,
        cancel=replace(DEFAULT_POLICY.cancel, approval=approval),
        edit_quantity=items,
        swap_variant=items,
        remove_line=items,
        retention=RetentionOffer(
            kind=RetentionKind.DISCOUNT_CODE,
            discount_code="STANNA10" if swedish else "STAY10",
            messages={
                "en": "Keep your order and get 10% off your next one.",
                "sv": "Behåll din beställning och få 10 % rabatt på nästa.",
            },
        ),
        withdrawal=WithdrawalSettings(enabled=True, period_days=14),
    )
    save_policy(store=store, actor=User.objects.get(email=owner_email), policy=policy)


def _seed_requests(store: Store, count: int = 8) -> None:
    """Requests waiting in the queue (and a few already carried out), made the way customers make them."""
    if OrderRequest.objects.for_store(store).exists():
        return
    open_orders = (
        Order.objects.for_store(store)
        .filter(
            cancelled_at__isnull=True,
            fulfillment_status=FulfillmentStatus.UNFULFILLED,
            financial_status=FinancialStatus.PAID,
        )
        .exclude(email__in=CUSTOMERS.values())
        .order_by("-total")[:count]
    )
    for order in open_orders:
        submit_request(
            store=store,
            order=order,
            actor=Actor.customer(order.email),
            kind=RequestKind.CANCEL,
            idempotency_key=f"demo-{store.slug}-{order.pk}",
            reason_code="changed_mind",
        )


def _seed_orders(store: Store, customer_email: str, count: int) -> None:
    """The store's catalogue and orders, with a handful in different states given to the demo customer."""
    seed_demo_catalogue_and_orders(store, orders=count)
    orders = Order.objects.for_store(store)
    open_orders = orders.filter(cancelled_at__isnull=True, fulfillment_status=FulfillmentStatus.UNFULFILLED)
    picks = [
        *open_orders.filter(financial_status=FinancialStatus.PAID, risk_level__in=["", "low"]).order_by(
            "-placed_at"
        )[:4],
        *orders.filter(fulfillment_status=FulfillmentStatus.FULFILLED).order_by("-placed_at")[:2],
        *orders.filter(fulfillment_status=FulfillmentStatus.PARTIAL).order_by("-placed_at")[:1],
        *orders.filter(cancelled_at__isnull=False).order_by("-placed_at")[:1],
    ]
    orders.filter(pk__in=[order.pk for order in picks]).update(email=customer_email, customer_name="")
    emails = set(orders.values_list("email", flat=True))
    known = set(StoreCustomer.objects.for_store(store).values_list("email", flat=True))
    StoreCustomer.objects.bulk_create(
        [StoreCustomer(store=store, email=email) for email in sorted(emails - known)], ignore_conflicts=True
    )
