"""The HTTP helper's error messages and the retry loop, without any network."""

from __future__ import annotations

import io
import urllib.error

import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources import fetch
from jpmacro_bt.sources.fetch import http_get, retry


def test_http_error_names_url_and_fix(monkeypatch):
    def fail(request, timeout):
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, io.BytesIO())

    monkeypatch.setattr(fetch.urllib.request, "urlopen", fail)
    with pytest.raises(SourceError, match=r"^https://example\.org/x\.csv: HTTP 404 Not Found; check the identifier"):
        http_get("https://example.org/x.csv")


def test_unreachable_host_says_what_to_do(monkeypatch):
    def fail(request, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", fail)
    with pytest.raises(SourceError) as info:
        http_get("https://www.mof.go.jp/jgbs/x.csv")
    assert str(info.value) == (
        "cannot reach www.mof.go.jp (Name or service not known); "
        "check the network, or pass --data-dir DIR, or --offline to use the cache"
    )


def test_body_is_returned(monkeypatch):
    class Response(io.BytesIO):
        pass

    monkeypatch.setattr(fetch.urllib.request, "urlopen", lambda request, timeout: Response(b"DATE,VALUE\n"))
    assert http_get("https://example.org/x.csv") == b"DATE,VALUE\n"


def test_retry_backs_off_exponentially_then_gives_up():
    sleeps, calls = [], []

    def flaky():
        calls.append(1)
        raise TimeoutError("slow")

    with pytest.raises(TimeoutError):
        retry(flaky, attempts=4, base_delay=0.5, is_transient=lambda e: True, sleep=sleeps.append)
    assert len(calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]  # 0.5 * 2**k for k = 0, 1, 2


def test_retry_stops_at_a_permanent_error():
    sleeps = []
    with pytest.raises(ValueError):
        retry(lambda: int("x"), attempts=4, base_delay=1, is_transient=lambda e: False, sleep=sleeps.append)
    assert sleeps == []
