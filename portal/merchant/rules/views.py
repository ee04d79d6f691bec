"""The automation-rule pages under /app/<store>/rules/: the list, the editor, preview, match log, forwarders.

Everyone in the store may read them; changing anything needs `rules:write` (owners and admins).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from cancellations.rules.actions import describe_action
from cancellations.rules.conditions import CONDITION_TYPES
from cancellations.rules.engine import PREVIEW_DAYS, preview_rule
from cancellations.rules.errors import RuleInvalid
from cancellations.rules.presets import PRESETS
from cancellations.rules.selectors import access_rule, forwarders, rule_matches, store_rules
from cancellations.rules.services import (
    add_forwarder,
    create_rule,
    delete_rule,
    move_rule,
    remove_forwarder,
    set_rule_switches,
    update_rule,
)
from portal.merchant.base import StoreStaffView
from portal.merchant.rules.forms import ForwarderForm, RuleEditor
from tenants.errors import NotFound
from tenants.roles import Scope

MATCHES_PER_PAGE = 50


class RulesPage(StoreStaffView):
    nav = "rules"

    def rule(self, rule_id: int) -> Any:
        try:
            return access_rule(store=self.store, rule_id=rule_id)
        except NotFound:
            raise Http404 from None

    def editor_page(
        self, request: HttpRequest, editor: RuleEditor, *, rule: Any = None, status: int = 200
    ) -> HttpResponse:
        context = {
            "editor": editor,
            "rule": rule,
            "errors": editor.error_summary(),
            "editable": self.access.has(Scope.RULES_WRITE),
            "presets": PRESETS.values(),
        }
        return self.render(request, "merchant/rule_edit.html", context, status=status)

    def save_or_add(self, request: HttpRequest, *, rule: Any = None) -> HttpResponse:
        """The editor's POST: add a row (nothing saved) or save the rule."""
        editor = RuleEditor(data=request.POST)
        what = request.POST.get("do", "save")
        if what in ("add_condition", "add_action"):
            editor.add_row(
                condition=request.POST.get("new_condition", "") if what == "add_condition" else "",
                action=request.POST.get("new_action", "") if what == "add_action" else "",
            )
            return self.editor_page(request, editor, rule=rule)
        values = editor.values()
        if values is not None:
            try:
                if rule is None:
                    rule = create_rule(store=self.store, actor=self.access.user, values=values)
                    messages.success(request, _("Rule created."))
                else:
                    rule = update_rule(
                        store=self.store, rule_id=rule.pk, actor=self.access.user, values=values
                    )
                    messages.success(request, _("Rule saved."))
            except RuleInvalid as error:
                editor.add_error(error)
            else:
                if what == "save_preview":
                    return self.redirect_here("merchant:rule_preview", rule_id=rule.pk)
                return self.redirect_here("merchant:rule", rule_id=rule.pk)
        return self.editor_page(request, editor, rule=rule, status=400)


class RuleListView(RulesPage):
    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: HttpRequest) -> HttpResponse:
        rules = store_rules(store=self.store).annotate(last_match=Max("matches__matched_at"))
        rows = [
            {
                "rule": rule,
                "actions": [describe_action(action) for action in rule.actions],
                "conditions": [
                    str(CONDITION_TYPES[c["type"]].label)
                    for c in rule.conditions
                    if c.get("type") in CONDITION_TYPES
                ],
            }
            for rule in rules
        ]
        context = {"rows": rows, "editable": self.access.has(Scope.RULES_WRITE)}
        return self.render(request, "merchant/rules.html", context)


class RuleCreateView(RulesPage):
    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.RULES_WRITE}

    def get(self, request: HttpRequest) -> HttpResponse:
        preset = PRESETS.get(request.GET.get("template", ""))
        editor = RuleEditor(
            initial=preset.initial() if preset else {"match": "all", "triggers": ["order_created"]}
        )
        return self.editor_page(request, editor)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.save_or_add(request)


class RuleEditView(RulesPage):
    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.RULES_WRITE}

    def get(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        rule = self.rule(rule_id)
        return self.editor_page(request, RuleEditor(rule=rule), rule=rule)

    def post(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        return self.save_or_add(request, rule=self.rule(rule_id))


class RuleSwitchView(RulesPage):
    """Switch a rule on or off, or in or out of dry-run, from the list."""

    required_scopes = {"POST": Scope.RULES_WRITE}

    def post(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        switches = {
            name: request.POST[name] == "1"
            for name in ("enabled", "dry_run")
            if request.POST.get(name) in ("0", "1")
        }
        try:
            rule = set_rule_switches(store=self.store, rule_id=rule_id, actor=self.access.user, **switches)
        except NotFound:
            raise Http404 from None
        state = _("on") if rule.enabled else _("off")
        mode = _("dry run") if rule.dry_run else _("live")
        messages.success(
            request,
            _("%(rule)s is %(state)s (%(mode)s).") % {"rule": rule.name, "state": state, "mode": mode},
        )
        return self.redirect_here("merchant:rules")


class RuleMoveView(RulesPage):
    required_scopes = {"POST": Scope.RULES_WRITE}

    def post(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        offset = -1 if request.POST.get("direction") == "up" else 1
        try:
            move_rule(store=self.store, rule_id=rule_id, actor=self.access.user, offset=offset)
        except NotFound:
            raise Http404 from None
        return self.redirect_here("merchant:rules")


class RuleDeleteView(RulesPage):
    required_scopes = {"POST": Scope.RULES_WRITE}

    def post(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        try:
            delete_rule(store=self.store, rule_id=rule_id, actor=self.access.user)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Rule deleted."))
        return self.redirect_here("merchant:rules")


class RulePreviewView(RulesPage):
    """Which of the last 30 days' orders the rule's conditions match, before it is switched on."""

    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        rule = self.rule(rule_id)
        preview = preview_rule(store=self.store, match=rule.match, conditions=rule.conditions)
        labels = {code: str(spec.label) for code, spec in CONDITION_TYPES.items()}
        rows = [
            {
                "order": row.order,
                "checks": [
                    {"label": labels.get(result.type, result.type), **result.to_dict()}
                    for result in row.evaluation.results
                ],
            }
            for row in preview.rows
        ]
        context = {"rule": rule, "preview": preview, "rows": rows, "days": PREVIEW_DAYS}
        return self.render(request, "merchant/rule_preview.html", context)


class RuleMatchesView(RulesPage):
    """Every order the rule matched, and what it did (or would have done, in dry-run)."""

    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        rule = self.rule(rule_id)
        page = Paginator(rule_matches(store=self.store, rule=rule), MATCHES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        rows = [
            {
                "match": match,
                "actions": [
                    {
                        "text": describe_action(action),
                        "result": action.get("result", ""),
                        "error": action.get("error", ""),
                    }
                    for action in match.actions
                ],
            }
            for match in page
        ]
        return self.render(request, "merchant/rule_matches.html", {"rule": rule, "page": page, "rows": rows})


class ForwarderListView(RulesPage):
    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.RULES_WRITE}

    def _page(self, request: HttpRequest, form: ForwarderForm, status: int = 200) -> HttpResponse:
        context = {
            "forwarders": forwarders(store=self.store),
            "form": form,
            "editable": self.access.has(Scope.RULES_WRITE),
        }
        return self.render(request, "merchant/rule_forwarders.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, ForwarderForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "remove" in request.POST:
            try:
                remove_forwarder(
                    store=self.store, actor=self.access.user, forwarder_id=int(request.POST["remove"] or 0)
                )
            except (NotFound, ValueError):
                raise Http404 from None
            messages.success(request, _("Address removed from the list."))
            return self.redirect_here("merchant:rule_forwarders")
        form = ForwarderForm(request.POST)
        if form.is_valid():
            try:
                add_forwarder(store=self.store, actor=self.access.user, values=form.cleaned_data)
            except RuleInvalid as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Address added to the list."))
                return self.redirect_here("merchant:rule_forwarders")
        return self._page(request, form, status=400)
