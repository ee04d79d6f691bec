"""/api/v1/shopify/extension/: the endpoints of Amend's Shopify customer account and thank-you extensions."""

from django.urls import path

from portal.api.extension import views

urlpatterns = [
    path("orders/<int:shopify_order_id>/", views.OrderView.as_view(), name="extension_order"),
    path("orders/<int:shopify_order_id>/cancel/", views.CancelView.as_view(), name="extension_cancel"),
    path(
        "orders/<int:shopify_order_id>/thank-you/", views.ThankYouView.as_view(), name="extension_thank_you"
    ),
]
