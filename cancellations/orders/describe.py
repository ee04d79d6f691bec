"""What a request changes, in the words a person would write: "Merino Crew Sweater: S → M, 1 → 2".

One describer for every place that shows a request (the staff request page, the queue, the audit log,
the customer's pages and every email). It reads the order mirror's line titles, the catalogue's products
for new variants, and what each change recorded of the line or address when it was asked for
(`RequestChange.before`), so the old value still reads true after the platform took the change.
It lives with the order mirror because notifications (below requests) use it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cancellations.models import LineItem, OrderRequest, RefundMethod, RequestChange, RequestKind, Variant
from cancellations.policy.engine import Outcome
from tenants.models import Store
from tenants.roles import Role

ARROW = "→"


@dataclass(frozen=True)
class ChangeLine:
    """One change as a line of text, with its kind (address, quantity, swap, remove, reorder)."""

    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Item:
    title: str
    variant_title: str

    def name(self) -> str:
        return f"{self.title} ({self.variant_title})" if self.variant_title else self.title


def one_line_address(address: Mapping[str, Any] | None) -> str:
    """An address on one line: "Ada Lovelace, Storgatan 1, 111 22 Stockholm, SE"."""
    if not address:
        return _("no address")
    town = " ".join(str(address[key]) for key in ("zip", "city") if address.get(key))
    parts = [
        address.get("name"),
        address.get("address1"),
        address.get("address2"),
        town,
        address.get("province"),
        address.get("country_code"),
    ]
    return ", ".join(str(part) for part in parts if part)


def request_title(request: OrderRequest, changes: Sequence[RequestChange] = ()) -> str:
    """What the request is, as its title: "Change of items", "Change of address", "Cancellation"..."""
    if request.kind == RequestKind.EDIT:
        kinds = {change.kind for change in changes}
        if kinds == {RequestChange.Kind.ADDRESS}:
            return _("Change of address")
        if RequestChange.Kind.ADDRESS in kinds:
            return _("Change of items and address")
        return _("Change of items")
    titles: dict[str, str] = {
        RequestKind.CANCEL: _("Cancellation"),
        RequestKind.REORDER: _("Reorder"),
        RequestKind.WITHDRAWAL: _("Withdrawal"),
    }
    return str(titles.get(request.kind, request.get_kind_display()))


class Describer:
    """Describes the changes of many requests with three queries at most (changes, lines, variants)."""

    def __init__(self, store: Store, requests: Iterable[OrderRequest]) -> None:
        self.requests = [request for request in requests if request.store_id == store.pk]
        self.changes: dict[int, list[RequestChange]] = {request.pk: [] for request in self.requests}
        unfetched = []
        for request in self.requests:
            cached = getattr(request, "_prefetched_objects_cache", {}).get("changes")
            if cached is not None:
                self.changes[request.pk] = sorted(cached, key=lambda c: (c.position, c.pk))
            else:
                unfetched.append(request.pk)
        self.lines: dict[int, LineItem] = {}
        if unfetched:
            # One query for the changes of every request, their order lines joined in.
            rows = RequestChange.objects.for_store(store).filter(request_id__in=unfetched)
            for change in rows.select_related("line").order_by("position", "id"):
                self.changes[change.request_id].append(change)
                if change.line is not None:
                    self.lines[change.line.pk] = change.line
        every = [change for changes in self.changes.values() for change in changes]
        line_ids = {change.line_id for change in every if change.line_id and change.line_id not in self.lines}
        if line_ids:
            self.lines.update(
                {line.pk: line for line in LineItem.objects.for_store(store).filter(pk__in=line_ids)}
            )
        variant_ids = {change.variant_platform_id for change in every if change.variant_platform_id}
        self.variants: dict[str, _Item] = {}
        if variant_ids:
            found = (
                Variant.objects.for_store(store)
                .filter(platform_id__in=variant_ids)
                .values_list("platform_id", "title", "product__title")
            )
            for platform_id, title, product_title in found:
                # Shopify names a product's only variant "Default Title": no variant to speak of.
                variant_title = "" if title == "Default Title" else title
                self.variants[platform_id] = _Item(product_title, variant_title)

    def lines_of(self, request: OrderRequest) -> list[ChangeLine]:
        """The request's changes, one line each, in the order given."""
        changes = self.changes.get(request.pk, [])
        if request.kind == RequestKind.REORDER:
            return [self._reorder_line(change) for change in changes]
        return [self._line(change) for change in changes]

    def title_of(self, request: OrderRequest) -> str:
        return request_title(request, self.changes.get(request.pk, []))

    def summary_of(self, request: OrderRequest) -> str:
        """Every change on one line, for a table row or a notification."""
        return "; ".join(line.text for line in self.lines_of(request))

    def _before(self, change: RequestChange) -> tuple[_Item, int | None]:
        before = change.before or {}
        line = self.lines.get(change.line_id or 0)
        title = str(before.get("title") or (line.title if line else "") or _("An item"))
        variant = str(before.get("variant_title") or (line.variant_title if line and not before else ""))
        quantity = before.get("quantity", line.quantity if line else None)
        return _Item(title, variant), (int(quantity) if quantity is not None else None)

    def _variant(self, platform_id: str) -> _Item:
        return self.variants.get(platform_id) or _Item(_("Another item"), "")

    def _line(self, change: RequestChange) -> ChangeLine:
        kind = change.kind
        if kind == RequestChange.Kind.ADDRESS:
            old = one_line_address((change.before or {}).get("address"))
            text = _("Address: %(old)s %(arrow)s %(new)s") % {
                "old": old,
                "new": one_line_address(change.address),
                "arrow": ARROW,
            }
            return ChangeLine(kind, text)
        if kind == RequestChange.Kind.ADD:
            added = self._variant(change.variant_platform_id)
            text = _("Add: %(item)s × %(quantity)s")  # noqa: RUF001 (the multiplication sign)
            return ChangeLine(kind, text % {"item": added.name(), "quantity": change.quantity})
        item, quantity = self._before(change)
        if kind == RequestChange.Kind.REMOVE:
            if quantity:
                text = _("Remove: %(item)s × %(quantity)s") % {  # noqa: RUF001 (the multiplication sign)
                    "item": item.name(),
                    "quantity": quantity,
                }
            else:
                text = _("Remove: %(item)s") % {"item": item.name()}
            return ChangeLine(kind, text)
        if kind == RequestChange.Kind.SWAP:
            return ChangeLine(kind, self._swap(item, quantity, change))
        text = _("%(item)s: quantity %(old)s %(arrow)s %(new)s") % {
            "item": item.name(),
            "old": quantity if quantity is not None else "?",
            "new": change.quantity,
            "arrow": ARROW,
        }
        return ChangeLine(kind, text)

    def _swap(self, item: _Item, quantity: int | None, change: RequestChange) -> str:
        new = self._variant(change.variant_platform_id)
        if new.title == item.title:
            # The same product in another size or colour: "Merino Crew Sweater: S → M".
            text = _("%(product)s: %(old)s %(arrow)s %(new)s") % {
                "product": item.title,
                "old": item.variant_title or _("as ordered"),
                "new": new.variant_title or new.title,
                "arrow": ARROW,
            }
        else:
            text = _("%(old)s %(arrow)s %(new)s") % {"old": item.name(), "new": new.name(), "arrow": ARROW}
        if change.quantity is not None and quantity is not None and change.quantity != quantity:
            text += f", {quantity} {ARROW} {change.quantity}"
        return text

    def _reorder_line(self, change: RequestChange) -> ChangeLine:
        item = self._variant(change.variant_platform_id)
        text = _("%(item)s × %(quantity)s")  # noqa: RUF001 (the multiplication sign)
        return ChangeLine("reorder", text % {"item": item.name(), "quantity": change.quantity})


def describe_request(*, store: Store, request: OrderRequest) -> list[ChangeLine]:
    """One request's changes in words."""
    return Describer(store, [request]).lines_of(request)


# What happened to a request, per event action (RequestEvent.action), in words.
EVENT_LABELS: dict[str, Promise] = {
    "submitted": gettext_lazy("Asked for"),
    "auto_approved": gettext_lazy("Approved by the policy"),
    "queued": gettext_lazy("Sent for review"),
    "denied": gettext_lazy("Not allowed by the policy"),
    "held_by_rule": gettext_lazy("Held for review by an automation rule"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
    "withdrawn": gettext_lazy("Withdrawn by the customer"),
    "execution_started": gettext_lazy("Sent to the platform"),
    "completed": gettext_lazy("Carried out"),
    "failed": gettext_lazy("The platform did not carry it out"),
    "retried": gettext_lazy("Tried again"),
    "assigned": gettext_lazy("Assigned"),
    "note_added": gettext_lazy("Note added"),
    "attempt_failed": gettext_lazy("An attempt on the platform failed"),
}


def event_label(action: str) -> str:
    """An event's action in words (an action without a label reads as itself)."""
    label = EVENT_LABELS.get(action)
    return str(label) if label is not None else action


def reorder_outcome(request: OrderRequest) -> str:
    """A carried-out reorder: which new order it made and how to pay for it ("" before it is made)."""
    result = request.result or {}
    platform_id = str(result.get("platform_id") or "")
    if request.kind != RequestKind.REORDER or not platform_id:
        return ""
    kind, _slash, number = platform_id.rpartition("/")
    if result.get("name"):
        name = str(result["name"])
    elif kind.endswith("DraftOrder"):
        name = _("draft order %(number)s") % {"number": number}
    elif kind.endswith("Order"):
        name = _("order %(number)s") % {"number": number}
    else:
        name = platform_id
    url = str(result.get("url") or "")
    if url:
        return _("New order: %(name)s. Pay for it with this link: %(url)s") % {"name": name, "url": url}
    return _("New order: %(name)s. The store will send the way to pay for it.") % {"name": name}


FIELD_LABELS: dict[str, Promise] = {
    "refund_method": gettext_lazy("Refund method"),
    "fee": gettext_lazy("Fee"),
    "refund_amount": gettext_lazy("Refund"),
    "restock": gettext_lazy("Restock the items"),
    "notify_customer": gettext_lazy("Tell the customer"),
    "outcome": gettext_lazy("Policy outcome"),
    "attempts": gettext_lazy("Attempts"),
    "replayed": gettext_lazy("Already done on the platform"),
    "message": gettext_lazy("Message"),
    "error": gettext_lazy("Error"),
    "code": gettext_lazy("Code"),
    "rule": gettext_lazy("Rule"),
    "rule_id": gettext_lazy("Rule"),
    "subject": gettext_lazy("Subject"),
    "role": gettext_lazy("Role"),
    "note_id": gettext_lazy("Note"),
}


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


def value_words(name: str, value: Any) -> str:
    """A recorded value as a person reads it: Yes/No, a refund method's or an outcome's label."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or value in ("True", "False"):
        return str(_("Yes") if value in (True, "True") else _("No"))
    if name == "refund_method":
        try:
            return str(RefundMethod(value).label)
        except ValueError:
            return str(value)
    if name == "role":
        try:
            return str(Role(value).label)
        except ValueError:
            return str(value)
    if name == "outcome":
        try:
            return str(Outcome(value).label)
        except ValueError:
            return str(value)
    if isinstance(value, Mapping):
        if "before" in value and "after" in value:
            return f"{value_words(name, value['before'])} {ARROW} {value_words(name, value['after'])}"
        return ", ".join(f"{field_label(str(k))}: {value_words(str(k), v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_words(name, item) for item in value)
    return str(value)


def event_details(data: Mapping[str, Any] | None) -> list[str]:
    """An event's recorded data as lines of words ("Refund method: Original payment → Store credit")."""
    lines: list[str] = []
    for name, value in (data or {}).items():
        if name == "overrides" and isinstance(value, Mapping):
            lines.extend(f"{field_label(str(k))}: {value_words(str(k), v)}" for k, v in value.items())
        elif name in ("before", "after"):
            continue
        else:
            lines.append(f"{field_label(str(name))}: {value_words(str(name), value)}")
    if data and "before" in data and "after" in data:
        lines.append(f"{value_words('', data['before'])} {ARROW} {value_words('', data['after'])}")
    return lines
