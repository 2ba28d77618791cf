"""The claims scorecard and its detail pages in headless Chromium: a row per claim, charts drawn, no network request.

The browser is driven as in ``test_browser.py`` (DevTools over a pipe, host resolution mapped to nowhere).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jpmacro_bt.reports.claims_page import write_claims
from jpmacro_bt.research.claims import claims, load_claims
from tests.conftest import synthetic_series
from tests.test_browser import SVG_SIZES, Browser, Page

# Every symbol the bundled claims read, but BTCUSD (so its claims show the missing-data path) and ES (SPX stands in).
SYMBOLS = ("USDJPY", "AUDJPY", "NIKKEI225", "SPX", "WTI", "GOLD", "UST10Y", "JGB10Y", "UST30Y", "JGB30Y")


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def scorecard_folder(tmp_path_factory) -> tuple[Path, object]:
    data = tmp_path_factory.mktemp("market")
    for sym in SYMBOLS:
        frame = synthetic_series(sym, start="2005-01-03", end="2026-10-30")
        pd.DataFrame({"date": frame.index.strftime("%Y-%m-%d"), "close": frame["close"]}).to_csv(data / f"{sym}.csv", index=False)
    ends = pd.date_range("2015-01-31", "2025-12-31", freq="ME")
    tic = 1100 + np.cumsum(np.random.default_rng(1).normal(0, 8, len(ends)))
    pd.DataFrame({"date": ends.strftime("%Y-%m-%d"), "close": tic}).to_csv(data / "TIC_JAPAN_UST.csv", index=False)
    card = claims(data_dir=data, offline=True, placebo=200, bootstrap=100)
    return write_claims(card, tmp_path_factory.mktemp("reports")), card


def test_the_scorecard_draws_a_row_per_claim_offline(chromium, scorecard_folder):
    folder, card = scorecard_folder
    page = Page(chromium, (folder / "index.html").as_uri())
    page.assert_offline()
    assert page.errors == []
    ids = page.js("Array.from(document.querySelectorAll('#scorecard tbody tr')).map(r => r.id)")
    assert ids == [f"claim-{s.id}" for s in load_claims()]
    verdicts = page.js("Array.from(document.querySelectorAll('#scorecard tbody tr')).map(r => r.dataset.verdict)")
    assert verdicts == list(card.table["verdict"])
    assert verdicts.count("not tested") >= 3  # the fiscal claim, and the claims that need Bitcoin
    (forest,) = page.js(SVG_SIZES % "#forest svg")
    assert forest[0] > 600 and forest[1] > 200 and forest[2] > 20, forest
    assert "jpmacro-bt data fetch BTCUSD" in page.js("document.body.innerText")
    # Every detail link resolves to a file the scorecard wrote.
    links = page.js("Array.from(document.querySelectorAll('#scorecard a')).map(a => a.href)")
    assert len(links) == sum(v != "not tested" for v in verdicts)
    assert all(Path(link.removeprefix("file://")).is_file() for link in links)


@pytest.mark.parametrize("detail", ["soc-hike-yen/study.html", "rb-panic-nikkei/study.html", "rb-jgb-spillover/detail.html", "soc-hedged-ust/detail.html", "soc-tic-dumping/detail.html"])
def test_a_detail_page_draws_its_chart_offline_and_links_back(chromium, scorecard_folder, detail):
    folder, _ = scorecard_folder
    page = Page(chromium, (folder / detail).as_uri())
    page.assert_offline()
    assert page.errors == []
    sizes = page.js(SVG_SIZES % "svg")
    assert len(sizes) == 1 and sizes[0][0] > 600 and sizes[0][1] > 200 and sizes[0][2] > 20, sizes
    back = page.js("document.querySelector('a[href=\"../index.html\"]').href")
    assert Path(back.removeprefix("file://")) == folder / "index.html"
