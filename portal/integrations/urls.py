"""Endpoints that commerce platforms call: app install (OAuth) and webhooks."""

urlpatterns: list = []
