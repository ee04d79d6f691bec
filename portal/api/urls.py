from django.urls import include, path, re_path

from portal.api.views import insights as insights_views
from portal.api.views import requests as request_views
from portal.api.views import rules as rule_views
from portal.api.views import stores as views

app_name = "api"

urlpatterns = [
    path("stores/", views.StoreListView.as_view(), name="stores"),
    path("stores/<slug:store_slug>/", views.StoreDetailView.as_view(), name="store"),
    path("stores/<slug:store_slug>/orders/", views.OrderListView.as_view(), name="orders"),
    path("stores/<slug:store_slug>/orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path("stores/<slug:store_slug>/requests/", request_views.RequestListView.as_view(), name="requests"),
    path(
        "stores/<slug:store_slug>/requests/decide/",
        request_views.RequestBulkDecisionView.as_view(),
        name="requests-decide",
    ),
    path(
        "stores/<slug:store_slug>/requests/<int:request_id>/",
        request_views.RequestDetailView.as_view(),
        name="request",
    ),
    path(
        "stores/<slug:store_slug>/requests/<int:request_id>/approve/",
        request_views.RequestApproveView.as_view(),
        name="request_approve",
    ),
    path(
        "stores/<slug:store_slug>/requests/<int:request_id>/reject/",
        request_views.RequestRejectView.as_view(),
        name="request_reject",
    ),
    path("stores/<slug:store_slug>/policy/", views.PolicyView.as_view(), name="policy"),
    path("stores/<slug:store_slug>/rules/", rule_views.RuleListView.as_view(), name="rules"),
    path("stores/<slug:store_slug>/rules/<int:rule_id>/", rule_views.RuleDetailView.as_view(), name="rule"),
    path("stores/<slug:store_slug>/insights/", insights_views.InsightsView.as_view(), name="insights"),
    path("shopify/extension/", include("portal.api.extension.urls")),
    # Anything else under /api/v1/ (an id that is not a number, say) is a 404 in the API's own shape.
    re_path(r"", views.not_found),
]
