"""Channels are named without their secrets, and errors are redacted, for every kind of Apprise URL."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from benchwatch.alerting.notify import channel_of, channels, redact, send
from tests.alerts.receivers import Webhook, free_port

URLS = {
    "json://127.0.0.1:8080/hooks/T0k3nS3cr3tValue123": ("json://127.0.0.1:8080/hooks/****",
                                                        ["T0k3nS3cr3tValue123"]),
    "mailto://bwuser:S3cretPassw0rd@127.0.0.1:2525?from=bw@example.org&to=ops@example.org": (
        "mailto://bwuser:****@127.0.0.1:2525/ops@example.org?from=bw@example.org", ["S3cretPassw0rd"]),
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general": (
        "slack://T...2/A...D/T...Q/#general", ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"]),
    "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js": ("discord://4...8/J...s",
                                                          ["JHMHI8qBe7bk2ZwO5U711o3dV_js"]),
    "jsons://user:pw@hooks.example.com/x?token=abc": ("jsons://user:****@hooks.example.com/x", ["pw", "abc"]),
}


@pytest.mark.parametrize("url", list(URLS))
def test_labels_and_redaction_hide_every_secret(url):
    label, secrets = URLS[url]
    channel = channel_of(SecretStr(url))
    assert channel.label == label
    assert not any(secret in channel.label for secret in secrets)
    assert repr(channel).count("****") == label.count("****")  # the URL is not in the repr
    error = f"failed to reach {url}; token {secrets[0]} rejected"
    cleaned = redact(error, [channel])
    assert not any(secret in cleaned for secret in secrets) and "****" in cleaned


def test_the_same_url_twice_is_one_channel():
    url = SecretStr("json://127.0.0.1:8080/hooks/T0k3nS3cr3tValue123")
    assert len(channels([url, url])) == 1


def test_a_failed_send_returns_a_redacted_error_and_leaks_nothing_to_the_log(caplog):
    url = f"json://127.0.0.1:{free_port()}/hooks/T0k3nS3cr3tValue123"
    caplog.set_level(logging.DEBUG)
    result = send(channel_of(SecretStr(url)), "title", "body", "firing")
    assert not result.ok and "Connection error" in result.error
    assert "T0k3nS3cr3tValue123" not in caplog.text and "T0k3nS3cr3tValue123" not in result.error
    bad = send(channel_of(SecretStr("bogus://T0k3nS3cr3tValue123")), "title", "body", "test")
    assert not bad.ok and bad.error == "not a valid Apprise URL" and bad.channel.startswith("bogus://****")


def test_a_successful_send_leaks_nothing_to_the_log_either(caplog):
    hook = Webhook().start()
    try:
        caplog.set_level(logging.DEBUG)
        result = send(channel_of(SecretStr(f"json://127.0.0.1:{hook.port}/hooks/T0k3nS3cr3tValue123")),
                      "title", "body", "resolved")
    finally:
        hook.stop()
    assert result.ok and result.error is None
    assert hook.paths == ["/hooks/T0k3nS3cr3tValue123"] and hook.received[0]["type"] == "success"
    assert "T0k3nS3cr3tValue123" not in caplog.text
