"""The one HTTP client every live source uses.

Leaderboard hosts rate-limit and fail transiently, and most of what we poll
has not changed since last time. So: timeouts, retries with backoff that honour
``Retry-After`` and the Hugging Face Hub's ``RateLimit`` header, a bounded total
wait, and conditional requests, so an unchanged upstream costs one small request.

The Hub's anonymous quota is per IP; a token (``hf_token``) raises it. The token
goes only to the Hugging Face hosts (``bearer`` prefixes), never to another upstream,
and never into an error message.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from benchwatch import __version__
from benchwatch.records import Previous
from benchwatch.settings import Settings
from benchwatch.sources.errors import SourceError

USER_AGENT = (
    f"benchwatch/{__version__} (safety-benchmark monitor; "
    "+https://github.com/benchwatch/benchwatch)"
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The Hub's hosts: the only ones a Hugging Face token is sent to, and the endpoints of every
# source read from the Hub (repository files from the hub, dataset pages from its viewer).
HF_HUB = "https://huggingface.co"
HF_VIEWER = "https://datasets-server.huggingface.co"
HF_HOSTS = (HF_HUB, HF_VIEWER)
HF_ENDPOINTS = {"viewer": HF_VIEWER, "hub": HF_HUB}
# IETF draft-ietf-httpapi-ratelimit-headers, as the Hub sends it: RateLimit: "api";r=0;t=55
# (r: requests left in the window, t: seconds until it resets).
RATELIMIT = re.compile(r"(?:^|;)\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)")


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


def ratelimit_reset(value: str | None) -> tuple[int, float] | None:
    """(remaining, seconds to reset) from a ``RateLimit`` header; None when absent or malformed."""
    match = RATELIMIT.search(value or "")
    return (int(match.group(1)), float(match.group(2))) if match else None


def describe_policy(value: str | None) -> str:
    """``"fixed window";"api";q=500;w=300`` -> `` (quota 500 requests per 300 s)``, for error messages."""
    quota = re.search(r"q\s*=\s*(\d+)", value or "")
    window = re.search(r"w\s*=\s*(\d+)", value or "")
    if not quota or not window:
        return ""
    return f" (quota {quota.group(1)} requests per {window.group(1)} s)"


def hf_bearer(token: str | None, upstream_base: str | None) -> dict[str, str]:
    """URL prefix -> token for the Hugging Face hosts (rebased like every endpoint); empty without a token."""
    return {rebase(host, upstream_base): token for host in HF_HOSTS} if token else {}


class HttpClient:
    """httpx with retries, backoff, rate-limit waits under one bound, and conditional GETs.

    ``max_wait`` bounds the seconds this client may spend waiting on upstreams'
    rate limits and backoff in total (one refresh): a wait that would pass it
    fails the request with an error naming the URL, rather than stalling a
    scheduled run for an hour. ``bearer`` maps URL prefixes to a token sent as
    ``Authorization: Bearer`` to those URLs only.
    """

    def __init__(
        self,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        max_wait: float = 600.0,
        bearer: Mapping[str, str] | None = None,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.requests = 0
        self.max_wait = max_wait
        self.waited = 0.0
        self._bearer = dict(bearer or {})
        # Seconds to wait before the next request to a host whose RateLimit said r=0.
        self._exhausted: dict[str, float] = {}
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

    def _token_for(self, url: str) -> str | None:
        """The bearer token for ``url``: its prefix must end at a path boundary (no look-alike hosts)."""
        for prefix, token in self._bearer.items():
            if url == prefix or url.startswith(prefix.rstrip("/") + "/") or url.startswith(prefix + "?"):
                return token
        return None

    def _wait(self, url: str, seconds: float, why: str, status: int | None = None) -> None:
        """Sleep ``seconds`` unless that passes the total bound: then fail, naming the URL."""
        if seconds <= 0:
            return
        if self.waited + seconds > self.max_wait:
            raise FetchError(url, f"{why}: waiting {seconds:.0f} s more would exceed the total wait "
                                  f"bound of {self.max_wait:.0f} s (setting http_max_wait; "
                                  f"already waited {self.waited:.0f} s)", status)
        self.waited += seconds
        self.sleep(seconds)

    def get(
        self,
        url: str,
        previous: Previous | None = None,
        params: dict[str, str | int] | None = None,
    ) -> Fetched:
        """GET with retries; a 304 comes back as ``not_modified`` with no body."""
        headers = {}
        token = self._token_for(url)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        host = httpx.URL(url).host
        if previous is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        attempt = 0
        while True:
            attempt += 1
            self._wait(url, self._exhausted.pop(host, 0.0), "rate limit exhausted (RateLimit r=0)")
            self.requests += 1
            try:
                response = self._client.get(url, headers=headers, params=params)
                content = response.content
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise FetchError(url, f"{type(exc).__name__}: {exc or 'transport error'}") from exc
                self._wait(url, self.backoff * 2 ** (attempt - 1), type(exc).__name__)
                continue
            limit = ratelimit_reset(response.headers.get("RateLimit"))
            if response.status_code in RETRY_STATUSES and attempt <= self.retries:
                wait = retry_after_seconds(
                    response.headers.get("Retry-After"), lambda: datetime.now(UTC)
                )
                if wait is None and limit is not None and response.status_code == 429:
                    wait = limit[1]
                if wait is None:
                    wait = self.backoff * 2 ** (attempt - 1)
                policy = describe_policy(response.headers.get("RateLimit-Policy"))
                self._wait(url, wait, f"HTTP {response.status_code}{policy}", response.status_code)
                continue
            if limit is not None and limit[0] == 0 and response.status_code < 400:
                # The window's last request: the next one to this host would be refused.
                self._exhausted[host] = limit[1]
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


def client_from(settings: Settings) -> HttpClient:
    """The client a live run uses: the settings' timeout, retries, wait bound and Hugging Face token."""
    token = settings.hf_token.get_secret_value() if settings.hf_token else None
    return HttpClient(settings.http_timeout, settings.http_retries, max_wait=settings.http_max_wait,
                      bearer=hf_bearer(token, settings.upstream_base))


def rebase(url: str, upstream_base: str | None) -> str:
    """``https://host/path`` -> ``{upstream_base}/host/path`` (unchanged if no base)."""
    if not upstream_base:
        return url
    parts = urlsplit(url)
    return f"{upstream_base.rstrip('/')}/{parts.netloc}{parts.path}".rstrip("/")
