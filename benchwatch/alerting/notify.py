"""Delivery through Apprise, and keeping the channels' secrets out of everything else.

A channel is one Apprise URL from ``settings.notify_urls`` (Slack, mailto,
Discord, json:// webhooks...). Its URL carries secrets (tokens, passwords), so
everything Benchwatch stores or prints names it by a redacted ``label`` and a
short ``channel_id`` hash, and every error text passes through ``redact``.
Apprise's own log lines (which can include full URLs at debug level) are
captured during a send and never propagate to the application's loggers.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import apprise
from pydantic import SecretStr

from benchwatch.storage.alert_records import Delivery

MASK = "****"
# Apprise first: its warnings become the recorded error. The others are silenced during a send.
QUIET_LOGGERS = ("apprise", "urllib3", "requests")
# Query parameters that name where a message goes, not how to authenticate.
SAFE_QUERY_KEYS = {"from", "to", "cc", "bcc", "name", "mode", "smtp", "format", "method", "channel",
                   "channels", "user", "reply", "overflow", "priority", "tags", "image", "footer"}
SECRET_QUERY_KEYS = re.compile(r"(token|key|secret|pass|auth|sig|code|webhook|hook|id)", re.IGNORECASE)
STATE_TYPES = {"firing": apprise.NotifyType.WARNING, "resolved": apprise.NotifyType.SUCCESS,
               "renotify": apprise.NotifyType.WARNING, "test": apprise.NotifyType.INFO}


def _looks_secret(fragment: str) -> bool:
    """A path segment or user name that reads like a token: long, or letters mixed with digits."""
    if len(fragment) >= 20:
        return True
    return len(fragment) >= 8 and any(c.isdigit() for c in fragment) and any(c.isalpha() for c in fragment)


def _secret_fragments(url: str) -> tuple[str, ...]:
    """Every part of ``url`` that may be a secret: password, token-like segments, secret query values."""
    parts = urlsplit(url)
    found = set()
    if parts.username and _looks_secret(parts.username):
        found.add(parts.username)
    for segment in [parts.netloc.rsplit("@", 1)[-1].split(":")[0], *parts.path.split("/")]:
        segment = unquote(segment)
        if segment and _looks_secret(segment) and not re.fullmatch(r"[\d.]+", segment):
            found.add(segment)
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key.lower() not in SAFE_QUERY_KEYS and (SECRET_QUERY_KEYS.search(key) or _looks_secret(value)):
            found.add(value)
    found = {f for f in found if len(f) >= 3}
    if parts.password:  # a password is masked however short it is
        found |= {parts.password, unquote(parts.password)}
    # Longest first, so a secret containing another is masked whole.
    return tuple(sorted(found, key=len, reverse=True))


def _mask(text: str, fragments: Iterable[str]) -> str:
    for fragment in fragments:
        text = text.replace(fragment, MASK)
    return text


@dataclass(frozen=True)
class Channel:
    """One configured Apprise URL, named without its secrets."""

    url: SecretStr = field(repr=False)
    label: str
    channel_id: str
    secrets: tuple[str, ...] = field(repr=False, default=())


def _label(raw: str, fragments: tuple[str, ...]) -> str:
    """Apprise's privacy URL, trimmed to the query keys the operator wrote, with our masks on top."""
    with _captured_apprise_log():
        plugin = apprise.Apprise.instantiate(raw)
    parts = urlsplit(raw)
    if plugin is None:
        return f"{parts.scheme}://{MASK} (not a valid Apprise URL)"
    private = urlsplit(plugin.url(privacy=True))
    written = {k for k, _ in parse_qsl(parts.query)}
    query = urlencode([(k, v) for k, v in parse_qsl(private.query) if k in written])
    trimmed = urlunsplit((private.scheme, private.netloc, private.path.rstrip("/"), query, ""))
    return _mask(unquote(trimmed), fragments)


def channel_of(url: SecretStr) -> Channel:
    raw = url.get_secret_value().strip()
    fragments = _secret_fragments(raw)
    # A short hash identifies the channel across runs; it cannot be turned back into the URL.
    channel_id = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return Channel(SecretStr(raw), _label(raw, fragments), channel_id, fragments)


def channels(urls: Iterable[SecretStr]) -> list[Channel]:
    """The configured channels, deduplicated, in configuration order."""
    seen: dict[str, Channel] = {}
    for url in urls:
        channel = channel_of(url)
        seen.setdefault(channel.channel_id, channel)
    return list(seen.values())


def redact(text: str | None, chans: Iterable[Channel]) -> str | None:
    """``text`` with every channel's URL and secret fragments masked."""
    if text is None:
        return None
    for channel in chans:
        text = text.replace(channel.url.get_secret_value(), channel.label)
        text = _mask(text, channel.secrets)
    return text


@contextlib.contextmanager
def _captured_apprise_log() -> Iterator[list[str]]:
    """Collect Apprise's warnings for the error text; let no line of Apprise or its HTTP stack
    (urllib3 logs request paths, which hold webhook tokens) reach the application's handlers."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    saved = [(log.propagate, log.level) for log in loggers]
    for log in loggers:
        log.propagate = False
        log.setLevel(logging.WARNING)
    loggers[0].addHandler(handler)
    try:
        yield lines
    finally:
        loggers[0].removeHandler(handler)
        for log, (propagate, level) in zip(loggers, saved, strict=True):
            log.propagate, log.level = propagate, level


def send(channel: Channel, title: str, body: str, kind: str) -> Delivery:
    """One message to one channel; never raises. The error is redacted."""
    instance = apprise.Apprise()
    with _captured_apprise_log() as lines:
        try:
            if not instance.add(channel.url.get_secret_value()):
                return Delivery(channel.channel_id, channel.label, False, "not a valid Apprise URL")
            ok = bool(instance.notify(body=body, title=title, notify_type=STATE_TYPES[kind],
                                      body_format=apprise.NotifyFormat.MARKDOWN))
        except Exception as exc:  # a broken channel must never break the flow
            ok, lines = False, [*lines, f"{type(exc).__name__}: {exc}"]
    error = None if ok else redact("; ".join(lines) or "delivery failed", [channel])
    return Delivery(channel.channel_id, channel.label, ok, error)
