"""Production refuses to start without real secrets; development needs nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, parse_email_url

ROOT = Path(__file__).resolve().parents[2]
GOOD_PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 20 + "x9!Qz" * 8,
    "ALLOWED_HOSTS": "amend.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://amend@127.0.0.1:5432/amend",
}


def _django(env_overrides: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in GOOD_PRODUCTION and k != "DEBUG"}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env_overrides})
    script = "import django; django.setup(); from django.conf import settings; " + code
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_a_required_setting(missing):
    env = {k: v for k, v in GOOD_PRODUCTION.items() if k != missing}
    result = _django(env, "print('started')")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert f"{missing} must" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = _django({**GOOD_PRODUCTION, "SECRET_KEY": "short"}, "print('started')")
    assert result.returncode != 0
    assert "SECRET_KEY must" in result.stderr


def test_production_turns_on_https_only_cookies_hsts_ssl_redirect_and_json_logs():
    result = _django(
        GOOD_PRODUCTION,
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT,"
        " settings.SECURE_HSTS_SECONDS, settings.DEBUG, settings.LOG_FORMAT,"
        " bool(settings.CONTENT_SECURITY_POLICY))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000", "False", "json", "True"]


def test_development_starts_with_no_environment_at_all():
    result = _django({}, "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.postgresql"]


def test_sqlite_is_refused():
    result = _django({"DATABASE_URL": "sqlite:///db.sqlite3"}, "print('started')")
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_every_response_carries_the_content_security_policy(client, db):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "submission://user%40x.com:p%40ss@mail.example.com",
            {
                "EMAIL_HOST": "mail.example.com",
                "EMAIL_PORT": 587,
                "EMAIL_USE_TLS": True,
                "EMAIL_HOST_USER": "user@x.com",
                "EMAIL_HOST_PASSWORD": "p@ss",
            },
        ),
        ("smtps://mail.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
        ("file:///tmp/mail", {"EMAIL_FILE_PATH": "/tmp/mail"}),
    ],
)
def test_email_url_is_parsed_into_django_settings(url, expected):
    config = parse_email_url(url)
    assert {key: config[key] for key in expected} == expected


def test_an_unknown_email_scheme_names_the_setting():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme 'pigeon'"):
        parse_email_url("pigeon://coop")


def test_a_boolean_setting_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be true or false"):
        env_bool("SOME_FLAG")


def test_an_execution_lease_shorter_than_the_task_time_limit_is_refused():
    result = _django(
        {"REQUEST_EXECUTION_LEASE_SECONDS": "100", "CELERY_TASK_TIME_LIMIT": "150"}, "print('started')"
    )
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "REQUEST_EXECUTION_LEASE_SECONDS must be longer than CELERY_TASK_TIME_LIMIT" in result.stderr
    longer = _django(
        {"REQUEST_EXECUTION_LEASE_SECONDS": "151", "CELERY_TASK_TIME_LIMIT": "150"}, "print('started')"
    )
    assert longer.stdout.strip() == "started", longer.stderr


def test_production_counts_every_allowed_host_and_the_site_host_as_amends_own():
    result = _django(
        {
            **GOOD_PRODUCTION,
            "ALLOWED_HOSTS": "amend.example.com,*,.amend.cloud",
            "SITE_URL": "https://app.amend.io",
        },
        "from tenants.hosts import is_own_host; print(sorted(settings.PRIMARY_HOSTS),"
        " is_own_host('amend.example.com'), is_own_host('x.amend.cloud'), is_own_host('app.amend.io'),"
        " is_own_host('orders.shop.example'))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "['.amend.cloud',",
        "'amend.example.com',",
        "'app.amend.io']",
        "True",
        "True",
        "True",
        "False",
    ]
