"""Stores, the people who work in them or buy from them, agencies, and what each may do.

`Store` is the tenant. Tables that belong to one store subclass `TenantModel` (a non-null
`store` and a manager that refuses unscoped queries); their unique constraints and indexes
lead with `store`, so the schema can be distributed by `store_id` (Citus).

Long on purpose: these are the tenancy app's tables, read together as its one schema.
"""

from __future__ import annotations

import re
import secrets
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.roles import AgencyRole, Role
from tenants.scoping import TenantModel

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$"
# Path segments and names that could be confused with our own pages or other services.
RESERVED_SLUGS = frozenset(
    {
        "account",
        "accounts",
        "admin",
        "agency",
        "agencies",
        "amend",
        "api",
        "app",
        "apps",
        "assets",
        "auth",
        "billing",
        "dev",
        "docs",
        "healthz",
        "help",
        "i18n",
        "login",
        "logout",
        "mail",
        "media",
        "new",
        "oauth",
        "readyz",
        "root",
        "s",
        "settings",
        "shopify",
        "signin",
        "signup",
        "static",
        "status",
        "support",
        "system",
        "webhooks",
        "www",
    }
)

slug_validator = RegexValidator(
    SLUG_PATTERN,
    _("Use 3 to 50 lowercase letters, digits and hyphens, starting and ending with a letter or digit."),
)


def validate_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved; please choose another."), params={"slug": value})


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(tz)s” is not a known time zone (e.g. Europe/Stockholm)."), params={"tz": value}
        )


def validate_hex_colour(value: str) -> None:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValidationError(_("Use a colour like #4f46e5."))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person: a store's customer, a store's staff, agency staff, or an operator of Amend."""

    # Django's documented way to drop an inherited field; the stubs keep AbstractUser's types.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # django-stubs types AbstractUser.objects as contrib.auth's username-based UserManager; an email
    # login needs its own BaseUserManager, as Django's docs on custom users show (stub gap).
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class Platform(models.TextChoices):
    BUILTIN = "builtin", _("Built-in store")
    SHOPIFY = "shopify", _("Shopify")


class Store(models.Model):
    """A shop served by Amend: the tenant every other store-owned row points to."""

    slug = models.CharField(
        _("address name"),
        max_length=50,
        unique=True,
        validators=[slug_validator, validate_not_reserved],
        help_text=_("Used in addresses: /s/<name>/ for customers, /app/<name>/ for staff."),
    )
    name = models.CharField(_("name"), max_length=120)
    platform = models.CharField(
        _("platform"), max_length=20, choices=Platform.choices, default=Platform.BUILTIN
    )
    # The store's own address on its platform (e.g. example.myshopify.com): how webhooks find the store.
    platform_domain = models.CharField(max_length=255, unique=True, null=True, blank=True)
    locale = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO currency code, e.g. SEK."))],
    )
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#4f46e5", validators=[validate_hex_colour]
    )
    # Kept in the database (small, validated image) so every web process can serve it.
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    logo_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    require_staff_mfa = models.BooleanField(
        _("require two-factor authentication for staff"),
        default=False,
        help_text=_("Staff without an authenticator app are asked to set one up before they can work here."),
    )
    allow_staff_code_login = models.BooleanField(
        _("let staff sign in with an emailed code"),
        default=False,
        help_text=_(
            "Off: staff sign in with their password. On: also with a code sent to their email. "
            "Two-factor authentication is asked for after the code all the same."
        ),
    )
    support_email = models.EmailField(
        _("support email address"),
        blank=True,
        help_text=_("Customers' replies to Amend's emails go here. Blank: emails do not invite a reply."),
    )
    return_address = models.TextField(
        _("return address"),
        blank=True,
        max_length=1000,
        help_text=_("Where customers send goods back after a withdrawal, as it goes on the parcel."),
    )
    return_instructions = models.TextField(
        _("return instructions"),
        blank=True,
        max_length=2000,
        help_text=_(
            "How to send them back (packing, the label, who pays the postage); "
            "in the withdrawal's approval email."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def new_domain_token() -> str:
    return secrets.token_urlsafe(24)


class StoreDomain(models.Model):
    """A host name of the store's own (orders.example.com) that serves its customer portal at /.

    A routing table, looked up by host before any store is known; in a distributed database it is
    a reference table. Several stores may claim a host, but it serves only the one store that proved
    it owns it (a DNS TXT record or a well-known file with the domain's token), and only while verified.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        FAILED = "failed", _("Not verified")
        VERIFIED = "verified", _("Verified")
        LOST = "lost", _("Verification lost")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(_("host name"), max_length=253)
    token = models.CharField(max_length=64, default=new_domain_token)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    # Checks in a row that found no proof: a verified domain is lost after STORE_DOMAIN_LOST_AFTER_CHECKS.
    failed_checks = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]
        constraints = [
            models.UniqueConstraint(fields=["store", "host"], name="store_domain_host_once_per_store"),
            models.UniqueConstraint(
                fields=["host"], condition=Q(status="verified"), name="store_domain_verified_by_one_store"
            ),
        ]

    def __str__(self) -> str:
        return self.host

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.host = self.host.lower().strip().rstrip(".")
        super().save(*args, **kwargs)


class Membership(TenantModel):
    """A person's role in a store's staff."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store", "user"], name="membership_store_user_unique")]
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Agency(models.Model):
    """A firm that manages several client stores from one workspace."""

    slug = models.CharField(
        _("address name"), max_length=50, unique=True, validators=[slug_validator, validate_not_reserved]
    )
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class AgencyMembership(models.Model):
    """A person's place in an agency's team (not a role in any store)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_memberships"
    )
    role = models.CharField(max_length=10, choices=AgencyRole.choices, default=AgencyRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "user"], name="agency_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency}"


class AgencyGrant(TenantModel):
    """A store lets an agency's staff work in it with a role. Revoking takes effect at once."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="grants", db_index=False)
    role = models.CharField(max_length=10, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["store", "agency"],
                condition=Q(revoked_at__isnull=True),
                name="agency_grant_one_active",
            )
        ]
        indexes = [models.Index(fields=["store", "agency"], name="agency_grant_store_agency")]

    def __str__(self) -> str:
        return f"{self.agency} -> {self.store_id} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class StoreCustomer(TenantModel):
    """A person a store knows by email (from their orders); linked to a user once they sign in."""

    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="store_customers",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint("store", Lower("email"), name="store_customer_email_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class StaffInvitation(TenantModel):
    """An emailed invitation to join a store's staff with a role; accepted once, by link, until it expires."""

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    token_hash = models.CharField(max_length=64)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "token_hash"], name="invitation_token_unique")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and self.expires_at > timezone.now()


class StoreAuditEvent(TenantModel):
    """Something that changed a store's set-up: team, roles, agency grants, settings."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="Who acted, kept if the user is deleted."
    )
    action = models.CharField(max_length=60)
    subject = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "-at"], name="store_audit_store_at")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.subject}"


class SecurityEvent(models.Model):
    """Sign-ins, failures and sign-outs, across the whole service (not owned by one store)."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in"
        SIGN_IN_FAILED = "sign_in_failed"
        CODE_REJECTED = "code_rejected"
        SIGNED_OUT = "signed_out"
        SESSION_EXPIRED = "session_expired"
        MFA_ENABLED = "mfa_enabled"
        MFA_DISABLED = "mfa_disabled"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.CharField(max_length=254, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.email}"


class ApiToken(models.Model):
    """A credential for the REST API, held by one store or by one agency (never both).

    A store token reaches its store with the scopes chosen for it; an agency token reaches the
    stores that hold an active grant to the agency, with the token's scopes cut down to the grant's
    role. Only a SHA-256 hash of the secret is kept: the full token is shown once, when it is made.
    The token is found by its prefix before any store is known, so this is a routing table (like
    StoreDomain), not one distributed by store.
    """

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    name = models.CharField(_("name"), max_length=100)
    # Shown in lists and logs so people can tell tokens apart; the secret after it never is.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(store__isnull=False) & Q(agency__isnull=True))
                | (Q(store__isnull=True) & Q(agency__isnull=False)),
                name="api_token_store_or_agency",
            )
        ]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="api_token_store_created"),
            models.Index(fields=["agency", "-created_at"], name="api_token_agency_created"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (amd_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def display(self) -> str:
        """How the token is shown after it was made: its prefix, never its secret."""
        return f"amd_{self.prefix}_…"
