"""One log line per request, with a request id, method, path, status and duration."""

import json
import logging

import pytest

from portal.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def _request_records(caplog):
    return [record for record in caplog.records if record.name == "amend.request"]


def test_each_request_logs_one_line_with_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="amend.request")
    response = client.get("/healthz")
    (record,) = _request_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert record.duration_ms >= 0
    assert response["X-Request-ID"] and len(response["X-Request-ID"]) == 32


def test_a_well_formed_incoming_request_id_is_kept_and_a_malformed_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="amend.request")
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert kept["X-Request-ID"] == "lb-7f3a9c21"
    assert replaced["X-Request-ID"] != "bad id\nwith newline"


def test_a_missing_page_is_logged_with_its_status(client, caplog):
    caplog.set_level(logging.INFO, logger="amend.request")
    client.get("/no-such-page")
    (record,) = _request_records(caplog)
    assert record.status == 404


def test_the_json_formatter_writes_one_parseable_object_per_line():
    record = logging.makeLogRecord(
        {
            "name": "amend.request",
            "levelname": "INFO",
            "msg": "GET / 200",
            "request_id": "abc12345",
            "status": 200,
            "duration_ms": 3.2,
        }
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "abc12345"
    assert entry["status"] == 200
    assert entry["message"] == "GET / 200"
