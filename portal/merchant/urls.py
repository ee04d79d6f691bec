from django.urls import path

from portal.merchant import views
from portal.merchant.audit import views as audit_views
from portal.merchant.bulk import views as bulk_views
from portal.merchant.holds import views as hold_views
from portal.merchant.insights import views as insights_views
from portal.merchant.integrations import urls as integration_urls
from portal.merchant.orders import views as order_views
from portal.merchant.policy import views as policy_views
from portal.merchant.queue import live as queue_live
from portal.merchant.queue import views as queue_views
from portal.merchant.rules import views as rules_views

app_name = "merchant"

urlpatterns = [
    path("", views.store_list, name="stores"),
    path("<slug:store_slug>/", views.DashboardView.as_view(), name="dashboard"),
    path("<slug:store_slug>/orders/", views.OrderListView.as_view(), name="orders"),
    path("<slug:store_slug>/orders/<int:order_id>/", order_views.OrderPageView.as_view(), name="order"),
    path(
        "<slug:store_slug>/orders/<int:order_id>/cancel/",
        order_views.OrderCancelView.as_view(),
        name="order_cancel",
    ),
    path(
        "<slug:store_slug>/orders/<int:order_id>/edit/",
        order_views.OrderEditView.as_view(),
        name="order_edit",
    ),
    path("<slug:store_slug>/team/", views.TeamView.as_view(), name="team"),
    path(
        "<slug:store_slug>/team/<int:membership_id>/role/", views.MemberRoleView.as_view(), name="member_role"
    ),
    path(
        "<slug:store_slug>/team/<int:membership_id>/remove/",
        views.MemberRemoveView.as_view(),
        name="member_remove",
    ),
    path(
        "<slug:store_slug>/team/invitations/<int:invitation_id>/cancel/",
        views.InvitationCancelView.as_view(),
        name="invitation_cancel",
    ),
    path("<slug:store_slug>/agencies/", views.AgencyAccessView.as_view(), name="agencies"),
    path(
        "<slug:store_slug>/agencies/<int:grant_id>/revoke/",
        views.AgencyRevokeView.as_view(),
        name="agency_revoke",
    ),
    path("<slug:store_slug>/settings/", views.SettingsView.as_view(), name="settings"),
    path("<slug:store_slug>/settings/logo/", views.LogoView.as_view(), name="logo"),
    path("<slug:store_slug>/settings/domains/", views.DomainView.as_view(), name="domains"),
    path("<slug:store_slug>/audit/", audit_views.AuditLogView.as_view(), name="audit"),
    path("<slug:store_slug>/policy/", policy_views.PolicyView.as_view(), name="policy"),
    path(
        "<slug:store_slug>/policy/versions/",
        policy_views.PolicyVersionListView.as_view(),
        name="policy_versions",
    ),
    path(
        "<slug:store_slug>/policy/versions/<int:version>/",
        policy_views.PolicyVersionView.as_view(),
        name="policy_version",
    ),
    path(
        "<slug:store_slug>/policy/versions/<int:version>/restore/",
        policy_views.PolicyRestoreView.as_view(),
        name="policy_restore",
    ),
    path("<slug:store_slug>/queue/", queue_views.QueueView.as_view(), name="queue"),
    path("<slug:store_slug>/queue/bulk/", queue_views.BulkDecisionView.as_view(), name="queue_bulk"),
    path(
        "<slug:store_slug>/queue/response-target/",
        queue_views.ResponseTargetView.as_view(),
        name="queue_target",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/",
        queue_views.RequestDetailView.as_view(),
        name="queue_request",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/status.json",
        queue_live.RequestStatusView.as_view(),
        name="queue_request_status",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/approve/",
        queue_views.ApproveView.as_view(),
        name="queue_approve",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/reject/",
        queue_views.RejectView.as_view(),
        name="queue_reject",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/assign/",
        queue_views.AssignView.as_view(),
        name="queue_assign",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/notes/",
        queue_views.NoteView.as_view(),
        name="queue_note",
    ),
    path(
        "<slug:store_slug>/queue/<int:request_id>/retry/",
        queue_views.RetryView.as_view(),
        name="queue_retry",
    ),
    path("<slug:store_slug>/rules/", rules_views.RuleListView.as_view(), name="rules"),
    path("<slug:store_slug>/rules/new/", rules_views.RuleCreateView.as_view(), name="rule_new"),
    path(
        "<slug:store_slug>/rules/forwarders/", rules_views.ForwarderListView.as_view(), name="rule_forwarders"
    ),
    path("<slug:store_slug>/rules/<int:rule_id>/", rules_views.RuleEditView.as_view(), name="rule"),
    path(
        "<slug:store_slug>/rules/<int:rule_id>/switch/",
        rules_views.RuleSwitchView.as_view(),
        name="rule_switch",
    ),
    path("<slug:store_slug>/rules/<int:rule_id>/move/", rules_views.RuleMoveView.as_view(), name="rule_move"),
    path(
        "<slug:store_slug>/rules/<int:rule_id>/delete/",
        rules_views.RuleDeleteView.as_view(),
        name="rule_delete",
    ),
    path(
        "<slug:store_slug>/rules/<int:rule_id>/preview/",
        rules_views.RulePreviewView.as_view(),
        name="rule_preview",
    ),
    path(
        "<slug:store_slug>/rules/<int:rule_id>/matches/",
        rules_views.RuleMatchesView.as_view(),
        name="rule_matches",
    ),
]

# Insights: figures for a period compared with the one before, and a CSV export of each chart.
urlpatterns += [
    path("<slug:store_slug>/insights/", insights_views.InsightsView.as_view(), name="insights"),
    path(
        "<slug:store_slug>/insights/<str:chart>.csv",
        insights_views.InsightsCsvView.as_view(),
        name="insights_csv",
    ),
]

# API tokens and webhook endpoints (portal/merchant/integration_urls.py).
urlpatterns += integration_urls.urlpatterns

# Bulk cancellation: choose orders, preview, start, follow and steer a job, download its result.
urlpatterns += [
    path("<slug:store_slug>/bulk/", bulk_views.BulkNewView.as_view(), name="bulk"),
    path("<slug:store_slug>/bulk/<int:job_id>/", bulk_views.BulkJobView.as_view(), name="bulk_job"),
    path(
        "<slug:store_slug>/bulk/<int:job_id>/progress.json",
        bulk_views.BulkProgressView.as_view(),
        name="bulk_progress",
    ),
    path(
        "<slug:store_slug>/bulk/<int:job_id>/result.csv",
        bulk_views.BulkResultView.as_view(),
        name="bulk_result",
    ),
]

# Orders whose fulfilment is held while their change window is open, and releasing one now.
urlpatterns += [
    path("<slug:store_slug>/holds/", hold_views.HeldOrdersView.as_view(), name="holds"),
    path(
        "<slug:store_slug>/holds/<int:hold_id>/release/",
        hold_views.ReleaseHoldView.as_view(),
        name="hold_release",
    ),
]
