"""Customer portal URLs. Mounted at /s/<store_slug>/ and, for a store's own domain, at /."""

from django.urls import path

from portal.customer import views

app_name = "customer"

urlpatterns = [
    path("", views.StoreHomeView.as_view(), name="home"),
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path("o/<str:token>/", views.OrderLinkView.as_view(), name="order_link"),
    path("find-order/", views.FindOrderView.as_view(), name="find_order"),
    path("logo", views.LogoView.as_view(), name="logo"),
    path("brand.css", views.BrandCssView.as_view(), name="brand_css"),
]
