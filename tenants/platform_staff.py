"""People a commerce platform vouches for: the staff who open Amend from inside Shopify's admin.

The platform has verified their email address and tells whether they own the shop; these services
turn that into an Amend user and, for the shop's owner, a place on the store's team.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from tenants.models import Membership, Store, User
from tenants.roles import Role
from tenants.services import record_store_event


def platform_staff_user(*, email: str, name: str = "") -> User:
    """The person behind an email address a commerce platform has verified, created when new.

    Only for addresses the platform says are verified (Shopify's `email_verified`); the address is
    recorded as verified, as if the person had confirmed it with Amend. Such a user has no password
    until they set one: they reach Amend from inside the platform.
    """
    address = email.strip()
    user = User.objects.filter(email__iexact=address).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(address, None, name=name[:150])
        except IntegrityError:
            user = User.objects.get(email__iexact=address)
    record, _ = EmailAddress.objects.get_or_create(
        user=user, email__iexact=address, defaults={"email": address, "primary": True, "verified": True}
    )
    if not record.verified:
        record.verified = True
        record.save(update_fields=["verified"])
    return user


@transaction.atomic
def join_as_platform_owner(*, store: Store, user: User, platform: str) -> Membership:
    """Make the owner of the store's shop on its platform an owner of the store in Amend.

    For one who is not on the team yet; a member keeps the role the store gave them.
    """
    membership, created = Membership.objects.for_store(store).get_or_create(
        store=store, user=user, defaults={"role": Role.OWNER}
    )
    if not created:
        return membership
    record_store_event(
        store=store,
        actor=user,
        action="team.joined",
        subject=user.email,
        data={"role": Role.OWNER, "via": platform},
    )
    return membership
