"""Who is acting on a request: a customer, staff, an automation rule, an API token or Amend itself."""

from __future__ import annotations

from dataclasses import dataclass

from cancellations.models.requests import ActorKind
from tenants.access import StoreAccess
from tenants.models import User


@dataclass(frozen=True)
class Actor:
    kind: str
    user: User | None = None
    label: str = ""
    # What the actor may do, from their role or token. None: not limited by a role (rules, Amend itself).
    scopes: frozenset[str] | None = None

    @classmethod
    def customer(cls, user_or_email: User | str) -> Actor:
        """A store's customer, signed in (a user) or known only by the email of an order link."""
        if isinstance(user_or_email, User):
            return cls(kind=ActorKind.CUSTOMER, user=user_or_email, label=user_or_email.email)
        return cls(kind=ActorKind.CUSTOMER, label=user_or_email.strip().lower())

    @classmethod
    def staff(cls, access: StoreAccess) -> Actor:
        """A staff member acting with their access to the store; agency staff are told apart."""
        if access.via_agency and access.agency is not None:
            label = f"{access.user.email} ({access.agency.name})"
            return cls(kind=ActorKind.AGENCY_STAFF, user=access.user, label=label, scopes=access.scopes)
        return cls(kind=ActorKind.STAFF, user=access.user, label=access.user.email, scopes=access.scopes)

    @classmethod
    def rule(cls, rule_id: int | str, name: str) -> Actor:
        return cls(kind=ActorKind.RULE, label=f"{name} (rule {rule_id})")

    @classmethod
    def api_token(cls, token_id: int | str, name: str, scopes: frozenset[str] | None = None) -> Actor:
        return cls(kind=ActorKind.API_TOKEN, label=f"{name} (token {token_id})", scopes=scopes)

    @classmethod
    def system(cls) -> Actor:
        return cls(kind=ActorKind.SYSTEM, label="Amend")

    @property
    def is_customer(self) -> bool:
        return self.kind == ActorKind.CUSTOMER

    @property
    def is_staff(self) -> bool:
        return self.kind in (ActorKind.STAFF, ActorKind.AGENCY_STAFF)

    def may(self, scope: str) -> bool:
        """Whether the actor holds a scope; customers hold none, unscoped actors every one."""
        if self.is_customer:
            return False
        return self.scopes is None or scope in self.scopes
