"""Real notification receivers on 127.0.0.1: a JSON webhook (HTTP) and an SMTP server.

Both can be stopped and started again on the same port, to play a receiver
that is down for a while. What they received is parsed into (state, key)
pairs from Benchwatch's messages, so a test can count deliveries per alert.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# "[Benchwatch FIRING warning] ..." titles; digest lines carry "(key: K)", single messages "- key: K".
TITLE = re.compile(r"\[Benchwatch (FIRING|RESOLVED|STILL FIRING) \w+\]")
DIGEST_LINE = re.compile(r"\[Benchwatch (FIRING|RESOLVED|STILL FIRING) \w+\].*?\(key: ([^)\s]+)\)")
KEY_LINE = re.compile(r"key: ([^\s<]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def changes(title: str, text: str) -> list[tuple[str, str]]:
    """(state, key) pairs a message announces: every digest line, or the one alert of a single message."""
    pairs = [(m.group(1), m.group(2)) for m in DIGEST_LINE.finditer(text)]
    if pairs:
        return pairs
    head = TITLE.search(title)
    key = KEY_LINE.search(text)
    return [(head.group(1), key.group(1))] if head and key else []


class Webhook:
    """Receives Apprise's generic JSON webhook (``json://127.0.0.1:PORT/path``)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[dict] = []
        self.paths: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Webhook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.received.append(json.loads(body))
                hook.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def changes(self) -> list[tuple[str, str]]:
        return [pair for msg in self.received for pair in changes(msg.get("title", ""), msg.get("message", ""))]


class Mailbox:
    """An SMTP server (aiosmtpd) that requires the login in the ``mailto://`` URL."""

    def __init__(self, user: str, password: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.user, self.password = user.encode(), password.encode()
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[bytes] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user, self.password)
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok)

    def start(self) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                      authenticator=self._authenticate, auth_require_tls=False)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @staticmethod
    def text(message: email.message.EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    def changes(self) -> list[tuple[str, str]]:
        return [pair for msg in self.messages for pair in changes(str(msg["subject"]), self.text(msg))]
