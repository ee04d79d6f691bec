"""Root URL configuration. The fixed points (see README) are listed here first."""

from django.contrib import admin
from django.urls import include, path

from portal import health, views
from portal.accounts import views as account_views
from portal.dev import mail_views as dev_mail_views
from portal.merchant.views import join_store

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("dev/mail/", dev_mail_views.mailbox, name="dev_mail"),
    path("dev/mail/<int:message_id>/", dev_mail_views.message, name="dev_mail_message"),
    path("s/<slug:store_slug>/", include("portal.customer.urls")),
    path("app/", include("portal.merchant.urls")),
    path("app/<slug:store_slug>/join/<str:token>/", join_store, name="join_store"),
    path("agency/", include("portal.agency.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("api/", include("portal.api.docs_urls")),
    path("signup/store/", account_views.store_signup, name="store_signup"),
    path("signup/agency/", account_views.agency_signup, name="agency_signup"),
    path("", include("portal.integrations.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
