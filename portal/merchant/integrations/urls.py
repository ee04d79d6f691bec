"""URLs of the merchant's integration pages, added to the merchant app's own."""

from django.urls import path

from portal.merchant.integrations import views

urlpatterns = [
    path("<slug:store_slug>/tokens/", views.TokenListView.as_view(), name="tokens"),
    path(
        "<slug:store_slug>/tokens/<int:token_id>/revoke/",
        views.TokenRevokeView.as_view(),
        name="token_revoke",
    ),
    path("<slug:store_slug>/webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("<slug:store_slug>/webhooks/<int:endpoint_id>/", views.WebhookDetailView.as_view(), name="webhook"),
    path(
        "<slug:store_slug>/webhooks/<int:endpoint_id>/test/",
        views.WebhookTestView.as_view(),
        name="webhook_test",
    ),
    path(
        "<slug:store_slug>/webhooks/<int:endpoint_id>/rotate/",
        views.WebhookRotateView.as_view(),
        name="webhook_rotate",
    ),
    path(
        "<slug:store_slug>/webhooks/<int:endpoint_id>/delete/",
        views.WebhookDeleteView.as_view(),
        name="webhook_delete",
    ),
]
