"""Emails to a store's customers: from the store by name, replies to its support address."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from tenants.models import Store

# Characters that could end a header or break out of a quoted display name.
_UNSAFE_IN_NAME = str.maketrans({"\r": " ", "\n": " ", '"': "", "\\": "", "<": "", ">": ""})


def store_from_address(store: Store) -> str:
    """`"<store name> <Amend's sending address>"`: the name is the store's, the mailbox stays Amend's."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = " ".join(store.name.translate(_UNSAFE_IN_NAME).split())
    return formataddr((name, address or settings.DEFAULT_FROM_EMAIL))


def store_reply_to(store: Store) -> list[str]:
    """The store's support address when it has one; without one, nobody would read a reply."""
    address = store.support_email.strip()
    if not address or "\r" in address or "\n" in address:
        return []
    return [address]


def customer_email(
    *, store: Store, to: str, subject: str, text: str, html: str = ""
) -> EmailMultiAlternatives:
    """A customer email from the store: its name as sender, Reply-To its support address when set."""
    # Subjects carry the store's name too; a line break in it would make Django refuse the whole email.
    subject = " ".join(subject.split())
    message = EmailMultiAlternatives(
        subject, text, store_from_address(store), [to], reply_to=store_reply_to(store)
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message
