"""Changing an order's items: quantities, a swap to another variant, removing a line.

Before anything is sent the customer sees the order's new total and the difference: as they edit
(the form posts itself to the preview endpoint, `portal/edit_items.js`) and, without JavaScript, on a
review step; the request page and the emails then say what is refunded or owed and how to pay it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from cancellations.models import LineItem, RequestKind, Variant
from cancellations.orders.catalogue import addable_variants
from cancellations.orders.selectors import line_images
from cancellations.policy import Action, Outcome
from cancellations.policy.services import current_policy
from cancellations.requests.errors import InvalidRequest
from cancellations.requests.pricing import EditEstimate
from cancellations.requests.submission import ChangeInput, preview_action, preview_edit
from portal.customer.flows import _SubmitMixin, new_submit_key
from portal.customer.order_access import OrderPageMixin

REVIEW, SEND = "review", "send"


def changes_from_form(
    lines: list[LineItem], data: QueryDict, addable: Sequence[Variant] = ()
) -> tuple[list[ChangeInput], dict[int, str]]:
    """The changes the form asks for, and a message per line that does not read (key 0: additions)."""
    changes, errors = [], {}
    for variant in addable:
        raw = data.get(f"add-{variant.pk}", "").strip() or "0"
        if not raw.isdigit() or int(raw) > 99:
            errors[0] = _("Enter how many to add, from 0 to 99.")
        elif int(raw):
            changes.append(ChangeInput(kind="add", variant_id=variant.platform_id, quantity=int(raw)))
    for line in lines:
        field = f"line-{line.pk}"
        if data.get(f"{field}-remove"):
            changes.append(ChangeInput(kind="remove", line_id=line.pk))
            continue
        swap = data.get(f"{field}-variant", "")
        if swap:
            changes.append(ChangeInput(kind="swap", line_id=line.pk, variant_id=swap))
        raw = data.get(f"{field}-quantity", str(line.quantity)).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 99:
            errors[line.pk] = _("Enter a quantity from 1 to 99, or remove the item.")
        elif int(raw) != line.quantity:
            changes.append(ChangeInput(kind="quantity", line_id=line.pk, quantity=int(raw)))
    return changes, errors


class _ItemsMixin(OrderPageMixin):
    def lines(self) -> list[LineItem]:
        return list(self.order.line_items.all())

    def addable(self, *, refresh: bool = False) -> list[Variant]:
        """What the customer may add, when the policy offers additions on this order now."""
        decision = preview_action(store=self.store, order=self.order, kind=Action.ADD_ITEM)
        if decision.outcome == Outcome.NOT_ALLOWED:
            return []
        policy, _version = current_policy(store=self.store)
        on_order = {line.variant_id for line in self.lines()}
        variants = addable_variants(store=self.store, tag=policy.additions.tag, refresh=refresh)
        return [variant for variant in variants if variant.platform_id not in on_order]

    def estimate(self, data: QueryDict) -> tuple[EditEstimate | None, dict[int, str], str]:
        """(the estimate, errors per line, an error for the whole form) of what the form says."""
        changes, errors = changes_from_form(self.lines(), data, self.addable())
        if errors:
            return None, errors, ""
        if not changes:
            return None, {}, _("Change something first: nothing was changed.")
        try:
            return preview_edit(store=self.store, order=self.order, changes=changes), {}, ""
        except InvalidRequest as error:
            return None, {}, error.message


class EditItemsView(_SubmitMixin, _ItemsMixin):
    kind = RequestKind.EDIT

    def _rows(self, posted: QueryDict | None) -> list[dict[str, Any]]:
        lines = self.lines()
        product_ids = {line.product_id for line in lines if line.product_id}
        variants = list(
            Variant.objects.for_store(self.store)
            .filter(product__platform_id__in=product_ids)
            .select_related("product")
            .order_by("position", "id")
        )
        images = line_images(store=self.store, lines=lines)
        rows = []
        for line in lines:
            # Each option with its own price and what it changes: the line's total at that price.
            options = [
                {"variant": variant, "difference": variant.price - line.unit_price}
                for variant in variants
                if variant.product.platform_id == line.product_id
                and variant.platform_id != line.variant_id
                and variant.in_stock
            ]
            field = f"line-{line.pk}"
            rows.append(
                {
                    "line": line,
                    "image_url": images.get(line.pk, ""),
                    "options": options,
                    # What the customer entered, kept through a review or an error.
                    "quantity": posted.get(f"{field}-quantity", line.quantity) if posted else line.quantity,
                    "variant": posted.get(f"{field}-variant", "") if posted else "",
                    "remove": bool(posted.get(f"{field}-remove")) if posted else False,
                }
            )
        return rows

    def _page(self, request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
        posted = extra.pop("posted", None)
        context = {
            **self.order_context(),
            "rows": self._rows(posted),
            "additions": [
                {"variant": variant, "quantity": posted.get(f"add-{variant.pk}", "0") if posted else "0"}
                for variant in self.addable(refresh=request.method == "GET")
            ],
            "max_added": current_policy(store=self.store)[0].additions.max_items,
            "submit_key": request.POST.get("submit_key") or new_submit_key(),
            "preview_url": self.order_url("edit_items_preview"),
            **extra,
        }
        return self.render(request, "customer/edit_items.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.unavailable(request, "edit") or self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        blocked = self.unavailable(request, "edit")
        if blocked:
            return blocked
        estimate, errors, form_error = self.estimate(request.POST)
        if estimate is None:
            return self._page(request, status=400, errors=errors, form_error=form_error, posted=request.POST)
        if request.POST.get("step") == REVIEW:
            return self._page(request, estimate=estimate, posted=request.POST, reviewed=True)
        changes, _errors = changes_from_form(self.lines(), request.POST, self.addable())
        try:
            return self.submit(changes=changes)
        except InvalidRequest as error:
            return self._page(request, status=400, form_error=error.message, posted=request.POST)


class EditItemsPreviewView(_ItemsMixin):
    """The running total: the edit form as it stands, answered with its total (JSON, a fragment)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if preview_action(store=self.store, order=self.order, kind="edit").outcome == Outcome.NOT_ALLOWED:
            return JsonResponse({"ok": False, "html": ""}, status=409)
        estimate, errors, form_error = self.estimate(request.POST)
        message = form_error or next(iter(errors.values()), "")
        html = render_to_string(
            "customer/includes/edit_total.html",
            {"estimate": estimate, "order": self.order, "message": message},
            request=request,
        )
        return JsonResponse({"ok": estimate is not None, "html": html}, status=200 if estimate else 400)
