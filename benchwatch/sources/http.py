"""The one HTTP client every live source uses.

Leaderboard hosts rate-limit and fail transiently, and most of what we poll
has not changed since last time. So: timeouts, retries with backoff that honour
``Retry-After``, and conditional requests, so an unchanged upstream costs one
small request.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from benchwatch import __version__
from benchwatch.sources.base import Previous, SourceError

USER_AGENT = (
    f"benchwatch/{__version__} (safety-benchmark monitor; "
    "+https://github.com/benchwatch/benchwatch)"
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0


class FetchError(SourceError):
    """A live request failed for good (after retries); names the URL and status."""

    def __init__(self, url: str, problem: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {problem}")
        self.url, self.status = url, status


@dataclass(frozen=True)
class Fetched:
    """A response body with what a later conditional request needs."""

    url: str
    status: int
    content: bytes
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    next_url: str | None = None


def retry_after_seconds(value: str | None, now: Callable[[], datetime]) -> float | None:
    """Parse Retry-After, either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class HttpClient:
    """httpx with retries, backoff and conditional GETs."""

    def __init__(
        self,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.requests = 0
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        previous: Previous | None = None,
        params: dict[str, str | int] | None = None,
    ) -> Fetched:
        """GET with retries; a 304 comes back as ``not_modified`` with no body."""
        headers = {}
        if previous is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self._client.get(url, headers=headers, params=params)
                content = response.content
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise FetchError(url, f"{type(exc).__name__}: {exc or 'transport error'}") from exc
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if response.status_code in RETRY_STATUSES and attempt <= self.retries:
                wait = retry_after_seconds(
                    response.headers.get("Retry-After"), lambda: datetime.now(UTC)
                )
                if wait is None:
                    wait = self.backoff * 2 ** (attempt - 1)
                self.sleep(min(wait, MAX_RETRY_AFTER))
                continue
            break
        if response.status_code == 304:
            return Fetched(url, 304, b"", previous.etag if previous else None,
                           previous.last_modified if previous else None, not_modified=True)
        if response.status_code >= 400:
            snippet = response.text[:200].replace("\n", " ") if content else ""
            raise FetchError(url, f"HTTP {response.status_code} {snippet}".strip(), response.status_code)
        declared = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity") != "identity"
        if declared and declared.isdigit() and not encoded and int(declared) != len(content):
            raise FetchError(url, f"truncated body: {len(content)} of {declared} bytes", response.status_code)
        return Fetched(
            url=str(response.url),
            status=response.status_code,
            content=content,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            next_url=response.links.get("next", {}).get("url"),
        )
