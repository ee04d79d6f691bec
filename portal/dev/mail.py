"""Development email: messages are stored in the database and read at /dev/mail/."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from portal.models import DevEmail


class DevMailBackend(BaseEmailBackend):
    """Store each message as a DevEmail row; shared by the web server and workers through the database."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        rows = []
        for message in email_messages:
            html: object = ""  # an alternative's content: text, bytes or a message
            if isinstance(message, EmailMultiAlternatives):
                html = next((content for content, mime in message.alternatives if mime == "text/html"), "")
            rows.append(
                DevEmail(
                    from_email=message.from_email,
                    to=", ".join(message.to + message.cc + message.bcc),
                    subject=str(message.subject),
                    body_text=str(message.body),
                    body_html=str(html),
                )
            )
        DevEmail.objects.bulk_create(rows)
        return len(rows)
