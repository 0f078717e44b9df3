"""The polite defaults a user relies on without reading settings.py."""

from __future__ import annotations

import importlib

from scrapy.settings import Settings

from maoyan import settings as project_settings


def project() -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    return settings


def test_polite_by_default() -> None:
    settings = project()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 1.0
    assert settings.getfloat("AUTOTHROTTLE_START_DELAY") >= 2
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getint("CONCURRENT_REQUESTS") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.getfloat("DOWNLOAD_DELAY_JITTER") > 0
    assert settings.getint("MAOYAN_BAN_RETRY_TIMES") <= 3
    assert settings.getfloat("RETRY_BACKOFF_BASE") > 0


def test_code_execution_ports_are_off() -> None:
    settings = project()
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")


def test_feed_and_cache_defaults() -> None:
    settings = project()
    assert settings.get("FEED_EXPORT_ENCODING") == "utf-8"
    assert not settings.getbool("HTTPCACHE_ENABLED")  # opt-in: MAOYAN_HTTPCACHE=1
    ignored = set(settings.getlist("HTTPCACHE_IGNORE_HTTP_CODES"))
    assert {302, 403, 429, 503} <= ignored  # bans and failures are never cached
    assert "MAOYAN_COOKIE" in dir(project_settings) and not project_settings.MAOYAN_COOKIE


def test_identity_is_an_honest_crawler_in_the_form_browser_checks_accept(monkeypatch) -> None:
    monkeypatch.delenv("MAOYAN_USER_AGENT", raising=False)
    monkeypatch.setenv("MAOYAN_CONTACT", "mailto:ops@example.org")
    try:
        importlib.reload(project_settings)
        settings = project()
        assert settings.get("USER_AGENT") == (
            "Mozilla/5.0 (compatible; maoyan-board-crawler/1.1; +mailto:ops@example.org)"
        )
        headers = settings.getdict("DEFAULT_REQUEST_HEADERS")
        assert headers["Accept-Language"].startswith("zh-CN")
        assert headers["Accept"].startswith("text/html")
        assert "Cookie" not in headers and "Referer" not in headers  # nothing forged
        assert settings.getint("MAOYAN_SELF_REDIRECT_TIMES") == 2  # the handshake, bounded
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)
