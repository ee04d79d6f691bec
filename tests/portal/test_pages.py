"""The base layout, the stylesheet, the languages and the development mailbox."""

import pytest
from django.core import mail
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_home_page_uses_the_base_layout_and_our_own_stylesheet(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<link rel="stylesheet" href="/static/portal/amend.css">' in body
    assert "http://" not in body.split("<body")[0] and "https://" not in body.split("<body")[0]


def test_the_stylesheet_is_served_by_the_app(client):
    response = client.get("/static/portal/amend.css")
    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)


def test_home_page_speaks_swedish_when_asked(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="sv")
    body = response.content.decode()
    assert '<html lang="sv">' in body
    assert "Låt kunderna rätta sina egna beställningar" in body


def test_the_language_switch_remembers_the_choice(client):
    client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    assert '<html lang="sv">' in client.get("/").content.decode()


def test_an_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


@override_settings(DEV_MAILBOX=False)
def test_the_dev_mailbox_is_hidden_unless_turned_on(client):
    assert client.get("/dev/mail/").status_code == 404


@override_settings(DEV_MAILBOX=True, EMAIL_BACKEND="portal.dev.mail.DevMailBackend")
def test_the_dev_mailbox_shows_sent_mail_when_on(client):
    mail.send_mail("Your sign-in code", "Code: 482913", "shop@example.com", ["ann@example.com"])
    listing = client.get("/dev/mail/?to=ann@")
    assert "Your sign-in code" in listing.content.decode()
    message_url = listing.context["messages_list"][0].pk
    detail = client.get(f"/dev/mail/{message_url}/")
    assert "Code: 482913" in detail.content.decode()
