from django.urls import path

from portal.api import views

app_name = "api"

urlpatterns = [
    path("stores/", views.StoreListView.as_view(), name="stores"),
    path("stores/<slug:store_slug>/", views.StoreDetailView.as_view(), name="store"),
    path("stores/<slug:store_slug>/orders/", views.OrderListView.as_view(), name="orders"),
    path("stores/<slug:store_slug>/orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order"),
]
