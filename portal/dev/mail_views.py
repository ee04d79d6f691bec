"""The development mailbox at /dev/mail/: every message the app sent, readable in the browser.

Only served when DEV_MAILBOX is on (by default with DEBUG; never in production); otherwise
these URLs are a 404.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from portal.models import DevEmail


def _require_mailbox() -> None:
    if not settings.DEV_MAILBOX:
        raise Http404


def mailbox(request: HttpRequest) -> HttpResponse:
    _require_mailbox()
    to = request.GET.get("to", "").strip()
    messages = DevEmail.objects.all()
    if to:
        messages = messages.filter(to__icontains=to)
    return render(request, "dev/mailbox.html", {"messages_list": messages[:100], "to": to})


def message(request: HttpRequest, message_id: int) -> HttpResponse:
    _require_mailbox()
    email = get_object_or_404(DevEmail, pk=message_id)
    return render(request, "dev/message.html", {"email": email})
