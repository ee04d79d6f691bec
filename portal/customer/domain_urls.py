"""The URLconf for a store's own domain: its customer portal at /, plus sign-in and health."""

from django.urls import include, path

from portal import health

urlpatterns = [
    path("", include("portal.customer.urls")),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
