"""`make demo`'s environment: its address, the links in its emails, and debug mode."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.core import mail
from django.test import override_settings

from tests.portal.test_settings import _django

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_the_demo_listens_on_demo_port_and_its_links_use_it(demo):
    assert demo.demo_address({"DEMO_PORT": "8123"}) == ("127.0.0.1", "8123")
    env = demo.demo_env({"DEMO_PORT": "8123"})
    assert env["SITE_URL"] == "http://127.0.0.1:8123"
    result = _django(env, "print(settings.SITE_URL)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8123"


def test_the_demo_defaults_to_port_8000_and_keeps_an_explicit_site_url(demo):
    assert demo.demo_env({})["SITE_URL"] == "http://127.0.0.1:8000"
    assert (
        demo.demo_env({"DEMO_PORT": "8123", "SITE_URL": "https://x.example"})["SITE_URL"]
        == "https://x.example"
    )


def test_the_demo_runs_without_debug_but_with_the_mailbox_unless_debug_is_asked_for(demo):
    result = _django(demo.demo_env({}), "print(settings.DEBUG, settings.DEV_MAILBOX)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    result = _django(demo.demo_env({"DEMO_DEBUG": "1"}), "print(settings.DEBUG, settings.DEV_MAILBOX)")
    assert result.stdout.split() == ["True", "True"]


def test_the_mailbox_is_never_on_in_production():
    from tests.portal.test_settings import GOOD_PRODUCTION

    result = _django({**GOOD_PRODUCTION, "DEV_MAILBOX": "true"}, "print(settings.DEV_MAILBOX)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.django_db
@override_settings(DEBUG=False, DEV_MAILBOX=True, EMAIL_BACKEND="portal.dev.mail.DevMailBackend")
def test_with_debug_off_as_in_the_demo_pages_static_files_and_the_mailbox_work(client):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    body = missing.content.decode()
    assert "There is nothing here" in body
    assert '<link rel="stylesheet" href="/static/portal/amend.css">' in body
    assert "Page not found at" not in body and "URLconf" not in body
    assert client.get("/static/portal/amend.css").status_code == 200
    mail.send_mail("Your sign-in code", "Code: 482913", "shop@example.com", ["ann@example.com"])
    assert "Your sign-in code" in client.get("/dev/mail/").content.decode()
