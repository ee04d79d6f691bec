"""Root URL configuration. The fixed points (see README) are listed here first."""

from django.contrib import admin
from django.urls import include, path

from portal import dev_mail_views, health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("dev/mail/", dev_mail_views.mailbox, name="dev_mail"),
    path("dev/mail/<int:message_id>/", dev_mail_views.message, name="dev_mail_message"),
    path("", include("portal.integrations.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
