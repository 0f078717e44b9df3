"""A real headless Chromium (Debian's package) opening a file with the network shut.

Playwright drives it with the machine's own browser (never a downloaded one). Every
request the page makes is recorded and refused unless it is the file itself; console
errors, page errors and dialogs (an ``alert`` that got through) are recorded too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: Flags that keep Chromium from calling home (the machine's network is closed, and a
#: test must see only the page's own requests); --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return os.environ.get("MAOYAN_CHROMIUM") or shutil.which("chromium")


def need_browser() -> None:
    """Skip, saying why, where the real browser cannot run."""
    if chromium_path() is None:
        pytest.skip(
            "no Chromium: install Debian's chromium and fonts-noto-cjk "
            "(bash .ci/debian-packages does) or set MAOYAN_CHROMIUM"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed: pip install -r requirements-dev.txt")


@dataclass
class Visit:
    page: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def open_offline(path: Path, width: int = 1000, height: int = 900) -> Iterator[Visit]:
    """Open ``path`` (a local file) in headless Chromium with every request refused
    but the file's own."""
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_offline(True)
            page = context.new_page()
            visit = Visit(page)

            def route(request_route: Any) -> None:
                visit.requests.append(request_route.request.url)
                if request_route.request.url == url:
                    request_route.continue_()
                else:
                    request_route.abort()

            context.route("**/*", route)
            page.on(
                "console", lambda msg: msg.type == "error" and visit.console_errors.append(msg.text)
            )
            page.on("pageerror", lambda error: visit.page_errors.append(str(error)))

            def dialog(opened: Any) -> None:
                visit.dialogs.append(opened.message)
                opened.dismiss()

            page.on("dialog", dialog)
            page.goto(url, wait_until="load")
            yield visit
        finally:
            browser.close()
