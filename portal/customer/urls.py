"""Customer portal URLs. Mounted at /s/<store_slug>/ and, for a store's own domain, at /.

Each order page exists for a signed-in customer (orders/<order_id>/...) and for a guest holding the
order's signed link (o/<token>/...).
"""

from django.urls import path

from portal.customer import flows, holds, items, live, payments, signin, views

app_name = "customer"

ORDER_PAGES = [
    ("", flows.OrderDetailView, ""),
    ("cancel/", flows.CancelView, "_cancel"),
    ("edit/address/", flows.EditAddressView, "_edit_address"),
    ("edit/items/", items.EditItemsView, "_edit_items"),
    ("edit/items/preview/", items.EditItemsPreviewView, "_edit_items_preview"),
    ("reorder/", flows.ReorderView, "_reorder"),
    ("withdraw/", flows.WithdrawView, "_withdraw"),
    ("nothing-to-change/", holds.NothingToChangeView, "_nothing_to_change"),
    ("requests/<int:request_id>/", flows.RequestDetailView, "_request"),
    ("requests/<int:request_id>/status.json", live.RequestStatusView, "_request_status"),
]

urlpatterns = [
    path("", views.StoreHomeView.as_view(), name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signin/code/", signin.SignInCodeView.as_view(), name="signin_code"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("find-order/", views.FindOrderView.as_view(), name="find_order"),
    path("withdraw/", views.WithdrawalLookupView.as_view(), name="withdraw"),
    path("pay/<str:token>/", payments.PayView.as_view(), name="pay"),
    path("logo", views.LogoView.as_view(), name="logo"),
    path("brand.css", views.BrandCssView.as_view(), name="brand_css"),
    *[
        path(f"orders/<int:order_id>/{route}", view.as_view(), name=f"order{suffix}")
        for route, view, suffix in ORDER_PAGES
    ],
    *[
        path(f"o/<str:token>/{route}", view.as_view(), name=f"order_link{suffix}")
        for route, view, suffix in ORDER_PAGES
    ],
]
