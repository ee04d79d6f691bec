from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Amend portal"

    def ready(self) -> None:
        from portal.accounts import audit  # noqa: F401 - connects the security log receivers
