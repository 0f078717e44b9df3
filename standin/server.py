"""A local stand-in of maoyan.com's board pages, for tests, the demo and benchmarks.

It binds 127.0.0.1 only. By default it behaves like the real site of 2026: a
``User-Agent`` that is not a browser's is refused with a 403, a first visit without
the ``uuid`` cookie is redirected to the very same URL with the cookie set, and the
numbers of boards 6, 1 and 2 are drawn with a web font. Each of these can be
switched off to get the site of 2019-2021. It can also misbehave the ways the real
site does -- a ban after some pages (a verification redirect, a 403, or a page
without the board), flaky answers (503s and cut connections), a robots.txt that
forbids the boards, broken entries, a missing page, a page that redirects to itself
forever -- so the crawler's reactions can be tested for real.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from standin import mobile
from standin.films import BOARDS, PAGED_BOARDS, STALE_BOARD_DATES, moved_board, synthetic_films
from standin.pages import (
    BANNED_PAGE,
    PAGE_SIZE,
    REFUSED_PAGE,
    SECURITY_CHECK_PAGE,
    render_board_page,
    render_verify_page,
)

BOARD_PATH = re.compile(r"^/board/(\d+)/?$")
MOBILE_BOARD_PATH = re.compile(r"^/asgard/board(?:/(\d+))?/?$")
MOBILE_JSON_PATH = re.compile(
    r"^/asgard/asgardapi/mmdb/movieboard/moviedetail/fixedboard/(\d+)\.json$"
)
BAN_KINDS = ("verify", "403", "blank", "refuse", "security")


@dataclass
class Behaviour:
    """How the stand-in answers; the defaults are today's healthy site."""

    board_date: str = "2026-11-23"
    #: Refuse (403) board requests whose User-Agent does not contain ``Mozilla/5.0``.
    browser_ua_only: bool = True
    #: Answer a board request without the ``uuid`` cookie with a 302 to the same URL
    #: that sets the cookie.
    cookie_handshake: bool = True
    #: Draw the digits of boards 6, 1 and 2 with this version of the web font
    #: (private-use characters); ``None`` shows them as plain text (the site of old).
    font_version: int | None = 1
    #: Offsets whose board page always redirects to itself, cookie or not.
    self_redirect_offsets: frozenset[int] = frozenset()
    #: Board pages answered normally before every later one is a ban.
    ban_after: int | None = None
    #: ``verify``: 302 to the verification centre; ``403``: the "too frequent" page;
    #: ``blank``: a 200 page without the board; ``refuse``: on the mobile site, a 200
    #: answer saying ``success: false`` (JSON, or a page's AppData), else as ``blank``;
    #: ``security``: a 200 verification page titled 安全验证 (the mobile site's of 2026).
    ban_kind: str = "verify"
    #: Answer some first attempts with a 503 or a cut connection.
    flaky: bool = False
    robots_disallow: bool = False
    #: Ranks rendered as broken entries (no film link, no title).
    broken_ranks: frozenset[int] = frozenset()
    #: Offsets answered with a 404.
    missing_offsets: frozenset[int] = frozenset()
    #: Serve the boards in a markup the crawler does not know, as after a redesign of
    #: the site: the films are there, ``div.board-wrapper`` and ``i.board-index`` are not.
    redesigned: bool = False
    #: The mobile board JSON keeps its films under another key than ``movies`` (the
    #: board page stays as it is).
    json_without_movies: bool = False
    #: How many films board 4 holds: beyond 100, numbered variants of the real ones
    #: (for benchmark sites of thousands of pages).
    top100_size: int = 100
    #: The desktop pager of 2026 (bare links, no 下一页); ``False``: the pager of the
    #: years before (``li`` items, 上一页/下一页).
    bare_pager: bool = True
    #: Days after ``board_date``: the boards as they moved by then (seeded, the same
    #: on every machine), dated that many days later; 0 is the boards as written.
    day: int = 0

    def __post_init__(self) -> None:
        if self.ban_kind not in BAN_KINDS:
            raise ValueError(f"ban_kind must be one of {BAN_KINDS}, not {self.ban_kind!r}")
        if self.day:
            moved = date.fromisoformat(self.board_date) + timedelta(days=self.day)
            self.board_date = moved.isoformat()


@dataclass
class RequestLog:
    """What the stand-in answered, in order: ``(path, status)``; status 0 is a cut."""

    entries: list[tuple[str, int]] = field(default_factory=list)
    #: The request headers of each board page request, in order.
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, status: int) -> None:
        with self.lock:
            self.entries.append((path, status))

    def add_headers(self, headers: dict[str, str]) -> None:
        with self.lock:
            self.headers.append(headers)

    def snapshot(self) -> list[tuple[str, int]]:
        with self.lock:
            return list(self.entries)


def _flaky_failures(offset: int) -> tuple[str, ...]:
    """The failures a flaky site gives before answering a page properly."""
    return (("503",), ("503", "cut"), ())[(offset // PAGE_SIZE) % 3]


class StandinSite:
    """The stand-in, served from a background thread: ``with StandinSite() as site: site.url``."""

    def __init__(self, behaviour: Behaviour | None = None, port: int = 0) -> None:
        self.behaviour = behaviour or Behaviour()
        self.log = RequestLog()
        boards = {**BOARDS, 4: synthetic_films(self.behaviour.top100_size)}
        self.boards = {
            board: moved_board(films, board, self.behaviour.day) for board, films in boards.items()
        }
        self._pages: dict[tuple[int, int], bytes] = {}  # rendered once: a fast server
        self._attempts: dict[str, int] = {}
        self._served = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandinSite:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> StandinSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def board_requests(self) -> list[tuple[str, int]]:
        return [entry for entry in self.log.snapshot() if entry[0].startswith("/board/")]

    def mobile_requests(self) -> list[tuple[str, int]]:
        """The mobile board page and JSON requests, in order."""
        return [entry for entry in self.log.snapshot() if entry[0].startswith("/asgard/")]

    # -- answering ---------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle's
            # algorithm and delayed ACKs hold each keep-alive answer for ~40 ms.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                site._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        if parts.path == "/robots.txt":
            rules = (
                "Disallow: /board\nDisallow: /asgard"
                if self.behaviour.robots_disallow
                else "Disallow: /verify"
            )
            return self._send(handler, 200, f"User-agent: *\n{rules}\n", "text/plain")
        if parts.path == "/verify":
            code = parse_qs(parts.query).get("requestCode", [""])[0]
            return self._send(handler, 200, render_verify_page(code))
        if mobile_match := MOBILE_BOARD_PATH.match(parts.path):
            query = parse_qs(parts.query)
            board = mobile_match.group(1) or query.get("id", [""])[0]
            return self._answer_mobile(handler, board, None)
        if json_match := MOBILE_JSON_PATH.match(parts.path):
            return self._answer_mobile(handler, json_match.group(1), parse_qs(parts.query))
        match = BOARD_PATH.match(parts.path)
        if not match or int(match.group(1)) not in self.boards:
            return self._send(handler, 404, "<html><body>404</body></html>")
        board_id = int(match.group(1))
        try:
            offset = int(parse_qs(parts.query).get("offset", ["0"])[0])
        except ValueError:
            offset = 0
        self._answer_board(handler, board_id, offset)

    def _answer_board(self, handler: BaseHTTPRequestHandler, board_id: int, offset: int) -> None:
        behaviour = self.behaviour
        self.log.add_headers(dict(handler.headers.items()))
        if self._refuses_client(handler):
            return self._send(handler, 403, REFUSED_PAGE)
        cookies = SimpleCookie(handler.headers.get("Cookie", ""))
        if offset in behaviour.self_redirect_offsets or (
            behaviour.cookie_handshake and "uuid" not in cookies
        ):
            return self._send_to_itself(handler)
        with self._lock:
            attempt = self._attempts.get(handler.path, 0)
            self._attempts[handler.path] = attempt + 1
            banned = behaviour.ban_after is not None and self._served >= behaviour.ban_after
        if banned:
            return self._send_ban(handler)
        failures = _flaky_failures(offset) if behaviour.flaky else ()
        if attempt < len(failures):
            if failures[attempt] == "cut":
                self.log.add(handler.path, 0)
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return None
            return self._send(handler, 503, "<html><body>Service Unavailable</body></html>")
        films = self.boards[board_id]
        if offset in behaviour.missing_offsets or offset < 0 or offset >= len(films):
            return self._send(handler, 404, "<html><body>404</body></html>")
        with self._lock:
            self._served += 1
        page = self._pages.get((board_id, offset))
        if page is None:
            page = self._pages[board_id, offset] = render_board_page(
                board_id,
                offset,
                films,
                STALE_BOARD_DATES.get(board_id, behaviour.board_date),
                paged=board_id in PAGED_BOARDS,
                broken_ranks=behaviour.broken_ranks,
                font_version=behaviour.font_version,
                bare_pager=behaviour.bare_pager,
            ).encode("utf-8")
        if behaviour.redesigned:
            page = page.replace(b"board-wrapper", b"rank-list").replace(b"board-index", b"rank-no")
        return self._send(handler, 200, page)

    def _answer_mobile(
        self, handler: BaseHTTPRequestHandler, board: str, query: dict[str, list[str]] | None
    ) -> None:
        """The mobile board page (``query`` None) or the board JSON for ``query``'s
        window. Like the desktop: browser-shaped User-Agents only, bans after
        ``ban_after`` answers; no cookie handshake."""
        behaviour = self.behaviour
        self.log.add_headers(dict(handler.headers.items()))
        mobile_board = int(board) if board.isdigit() else None
        if mobile_board not in mobile.MOBILE_BOARDS:
            return self._send(handler, 404, "<html><body>404</body></html>")
        if self._refuses_client(handler):
            return self._send(handler, 403, REFUSED_PAGE)
        with self._lock:
            banned = behaviour.ban_after is not None and self._served >= behaviour.ban_after
            if not banned:
                self._served += 1
        if banned and behaviour.ban_kind == "refuse":
            if query is None:
                return self._send(handler, 200, mobile.REFUSED_PAGE)
            return self._send(handler, 200, mobile.REFUSED_JSON, "application/json")
        if banned:
            return self._send_ban(handler)
        films = self.boards[mobile.MOBILE_BOARDS[mobile_board][0]]
        if query is None:
            name = "__INITIAL_STATE__" if behaviour.redesigned else "AppData"
            return self._send(handler, 200, mobile.render_page(mobile_board, films, name))

        def number(name: str, default: int) -> int:
            try:
                return int(query.get(name, [str(default)])[0])
            except ValueError:
                return default

        body = mobile.render_json(
            mobile_board, films, number("offset", 0), number("limit", 10), behaviour.board_date
        )
        if behaviour.redesigned or behaviour.json_without_movies:
            body = body.replace('"movies":', '"list":')
        return self._send(handler, 200, body, "application/json")

    def _refuses_client(self, handler: BaseHTTPRequestHandler) -> bool:
        """Today's site, desktop and mobile: a User-Agent that is no browser's is refused."""
        user_agent = handler.headers.get("User-Agent", "")
        return self.behaviour.browser_ua_only and "Mozilla/5.0" not in user_agent

    def _send_to_itself(self, handler: BaseHTTPRequestHandler) -> None:
        """The first-visit handshake: 302 to the very URL asked for, setting ``uuid``."""
        with self._lock:
            visitor = hashlib.sha1(f"visitor-{len(self.log.entries)}".encode()).hexdigest()
        headers = {
            "Location": f"{self.url}{handler.path}",
            "Set-Cookie": f"uuid={visitor.upper()}; Path=/; Max-Age=31536000",
        }
        return self._send(handler, 302, "", headers=headers)

    def _send_ban(self, handler: BaseHTTPRequestHandler) -> None:
        kind = self.behaviour.ban_kind
        if kind == "verify":
            location = f"{self.url}/verify?requestCode=4f1c2b7e9a0d4e51b0c3"
            return self._send(handler, 302, "", headers={"Location": location})
        if kind == "403":
            return self._send(handler, 403, BANNED_PAGE)
        if kind == "security":
            return self._send(handler, 200, SECURITY_CHECK_PAGE)
        # blank, and refuse on a desktop page: the "too frequent" page with a 200
        return self._send(handler, 200, BANNED_PAGE)

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: str | bytes,
        content_type: str = "text/html",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.log.add(handler.path, status)
        handler.send_response(status)
        handler.send_header("Content-Type", f"{content_type}; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
