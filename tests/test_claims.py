"""Claims: the claim files, the verdict rules, each test on hand-made data, the scorecard, its folder and the CLI."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from jpmacro_bt.cli import app
from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import JpMacroError
from jpmacro_bt.events import Event, EventCalendar, Events, load_events
from jpmacro_bt.reports.claims_page import write_claims
from jpmacro_bt.research.claims import (
    RULES,
    claims,
    format_value,
    judge,
    load_claims,
    parse_claim,
)
from jpmacro_bt.research.claimtests import TESTS, check_params, oos_r2, signal_events
from jpmacro_bt.research.comovement import adjusted_correlations, stress_gap
from jpmacro_bt.research.findings import ClaimContext
from jpmacro_bt.sources.base import Bars
from jpmacro_bt.symbols import get_symbol
from tests.test_study import planted_market

runner = CliRunner(env={"COLUMNS": "250"})
TOKYO, NEW_YORK, FIX = "15:00 Asia/Tokyo", "16:00 America/New_York", "14:15 Europe/Berlin"


def bars(values, index, close: str, name: str = "X") -> Bars:
    return Bars(pd.DataFrame({"close": np.asarray(values, dtype=float)}, index=pd.DatetimeIndex(index, name="date")), "test", name, close)


def context(events: Events | None = None, **kw) -> ClaimContext:
    return ClaimContext(events=events or load_events(), **({"placebo": 500, "bootstrap": 200} | kw))


# --- the verdict rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "verdict", "words"),
    [
        # Rule 2: significant the other way (the claim says negative, the estimate is positive).
        ({"direction": "-", "estimate": 0.01, "ci": (0.005, 0.015), "p_adjusted": 0.01, "halves": (0.01, 0.01), "threshold": 0.005}, "contradicted", "significant against the claim"),
        # Rule 3: the interval stays below the threshold in the claimed direction, significant or not.
        ({"direction": "+", "estimate": 0.001, "ci": (-0.002, 0.004), "p_adjusted": 0.6, "halves": (0.001, 0.001), "threshold": 0.005}, "contradicted", "does not reach +0.50 %"),
        ({"direction": "+", "estimate": 0.002, "ci": (0.001, 0.003), "p_adjusted": 0.001, "halves": (0.002, 0.002), "threshold": 0.005}, "contradicted", "does not reach"),
        ({"direction": "-", "estimate": -0.001, "ci": (-0.004, 0.002), "p_adjusted": 0.6, "halves": (0.0, 0.0), "threshold": 0.005}, "contradicted", "does not reach -0.50 %"),
        # Rule 3 needs a threshold above zero: the same interval with none is only inconclusive.
        ({"direction": "+", "estimate": 0.001, "ci": (-0.002, 0.004), "p_adjusted": 0.6, "halves": (0.001, 0.001), "threshold": 0.0}, "inconclusive", "not significant"),
        # Rule 4: significant in the claimed direction and in both halves.
        ({"direction": "-", "estimate": -0.02, "ci": (-0.03, -0.01), "p_adjusted": 0.001, "halves": (-0.02, -0.01), "threshold": 0.005}, "supported", "both halves"),
        # ... but one half the other way is not enough.
        ({"direction": "-", "estimate": -0.02, "ci": (-0.03, -0.01), "p_adjusted": 0.001, "halves": (-0.04, 0.001), "threshold": 0.005}, "inconclusive", "not in both halves"),
        # Rule 5: anything else, with the minimum detectable effect.
        ({"direction": "+", "estimate": 0.01, "ci": (-0.02, 0.04), "p_adjusted": 0.3, "halves": (0.01, 0.01), "threshold": 0.005}, "inconclusive", "effects of 2.50 % or more"),
        # The adjusted p-value decides: a raw p under 0.05 adjusted above it is not significant.
        ({"direction": "+", "estimate": 0.03, "ci": (0.01, 0.05), "p_adjusted": 0.06, "halves": (0.03, 0.03), "threshold": 0.005}, "inconclusive", "adjusted p 0.060"),
        ({"direction": "+", "estimate": math.nan, "ci": (math.nan, math.nan), "p_adjusted": math.nan, "halves": (math.nan, math.nan), "threshold": 0.005}, "inconclusive", "too few"),
    ],
)
def test_each_verdict_rule(case, verdict, words):
    got, why = judge(**case, alpha=0.05, mde=0.025, unit="fraction")
    assert got == verdict
    assert words in why


def test_the_rules_shown_are_the_rules_applied():
    assert [v for v, _ in RULES] == ["not tested", "contradicted", "contradicted", "supported", "inconclusive"]


def test_format_value_by_unit():
    assert format_value(0.0123, "fraction") == "+1.23 %"
    assert format_value(-12.34, "bp") == "-12.3 bp"
    assert format_value(0.2, "beta") == "+0.200"
    assert format_value(math.nan, "bp") == "-"


# --- claim files ---------------------------------------------------------------------------


def test_the_bundled_claims_cover_the_articles_and_name_known_symbols():
    specs = load_claims()
    ids = {s.id for s in specs}
    assert {"soc-hike-yen", "soc-hike-nikkei", "soc-hike-spx", "soc-hike-btc", "soc-yen-rally-nikkei", "soc-correlation-one", "soc-hedged-ust",
            "soc-tic-dumping", "rb-jgb-spillover", "cf-nikkei-leads-es", "cf-nikkei-leads-wti", "cf-nikkei-leads-gold", "rb-panic-nikkei",
            "rb-panic-spx", "cf-fiscal-impulse"} <= ids  # fmt: skip
    assert {s.article for s in specs} == {"SOC", "RB", "CF"}
    for s in specs:
        for sym in (*s.data, *s.proxies.values()):
            get_symbol(sym)  # raises for an unknown symbol
        assert s.why_threshold or s.test == "unavailable", s.id
        assert bool(s.data) is (s.test != "unavailable"), s.id
    fiscal = next(s for s in specs if s.id == "cf-fiscal-impulse")
    assert fiscal.test == "unavailable" and "fiscal" in fiscal.needs


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


GOOD = 'id = "{id}"\nclaim = "c"\narticle = "SOC"\ntest = "spillover"\ndata = ["UST30Y", "JGB30Y"]\n'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (GOOD + "treshold = 0.1\n", "unknown key 'treshold' (did you mean threshold?)"),
        (GOOD + 'direction = "up"\n', "direction 'up'; use '+'"),
        (GOOD.replace('"SOC"', '"SOX"'), "article 'SOX' (did you mean SOC?)"),
        (GOOD.replace('"spillover"', '"spilover"'), "unknown test 'spilover' (did you mean spillover?)"),
        (GOOD + '[params]\nyy = "UST10Y"\n', "test 'spillover' has no parameter 'yy' (did you mean y?)"),
        (GOOD + "horizon = 1.5\n", "horizon = 1.5 must be a int"),
        (GOOD.replace('"spillover"', '"unavailable"'), "must say in `needs`"),
        (GOOD.replace('"spillover"', '"lead_lag"'), "test 'lead_lag' needs [params] asset"),
        (GOOD + "level = 1.5\n", "need 0 < level < 1"),
        ("id = [", "cannot read claim file"),
    ],
)
def test_a_bad_claim_file_names_the_problem(tmp_path, text, words):
    path = _write(tmp_path, "x", text.format(id="x"))
    with pytest.raises(JpMacroError) as info:
        parse_claim(path)
    assert words in str(info.value)


def test_the_id_must_match_the_file_name(tmp_path):
    with pytest.raises(JpMacroError, match="differs from the file name"):
        parse_claim(_write(tmp_path, "y", GOOD.format(id="x")))


def test_check_params_fills_the_defaults():
    assert check_params("spillover", {}, "here") == {"y": "UST30Y", "x": "JGB30Y"}
    assert check_params("lead_lag", {"asset": "GOLD"}, "here")["oos_start"] == TESTS["lead_lag"].defaults["oos_start"]


# --- each test on hand-made data ------------------------------------------------------------


def test_spillover_pairs_each_treasury_day_with_the_tokyo_close_before_it():
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2010-01-04", periods=1000)
    jgb = 1 + np.cumsum(rng.normal(0, 0.02, len(days)))
    ust = 3 + np.cumsum(0.3 * np.r_[0, np.diff(jgb)] + rng.normal(0, 0.03, len(days)))
    jgb_days, ust_days = days.delete([30, 200, 400, 650]), days.delete([100, 300, 500, 800])  # holidays, never on neighbouring days
    jgb_s, ust_s = pd.Series(jgb, days)[jgb_days], pd.Series(ust, days)[ust_days]
    data = MarketData({"UST30Y": bars(ust_s, ust_days, NEW_YORK), "JGB30Y": bars(jgb_s, jgb_days, TOKYO)})
    finding = TESTS["spillover"].run({"y": "UST30Y", "x": "JGB30Y"}, 1, 0.95, data, context())
    # Independent: Tokyo closes first, so each Treasury change pairs with the JGB change of the same date when both exist.
    pairs = pd.concat({"x": jgb_s.diff() * 100, "y": ust_s.diff() * 100}, axis=1, join="inner").dropna()
    slope = np.polyfit(pairs["x"], pairs["y"], 1)[0]
    assert finding.n == len(pairs) and finding.estimate == pytest.approx(slope, rel=1e-9)
    assert finding.ci[0] < 0.3 < finding.ci[1] and finding.p_value < 1e-6


def test_lead_lag_uses_the_next_session_and_its_out_of_sample_r2():
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2012-01-02", periods=1200)
    nk = rng.normal(0, 0.012, len(days))
    spx = np.r_[0, 0.2 * nk[:-1]] + rng.normal(0, 0.01, len(days))  # tomorrow's New York return follows today's Tokyo return
    nk_close, spx_close = 100 * np.cumprod(1 + nk), 100 * np.cumprod(1 + spx)
    data = MarketData({"NIKKEI225": bars(nk_close, days, TOKYO), "SPX": bars(spx_close, days, NEW_YORK)})
    finding = TESTS["lead_lag"].run({"leader": "NIKKEI225", "asset": "SPX", "oos_start": 300}, 1, 0.95, data, context())
    x = pd.Series(nk_close, days).pct_change()
    y = pd.Series(spx_close, days).pct_change().shift(-1)
    pairs = pd.concat({"x": x, "y": y}, axis=1).dropna()
    assert finding.estimate == pytest.approx(np.polyfit(pairs["x"], pairs["y"], 1)[0], rel=1e-9)
    assert finding.p_value < 1e-6 and finding.n == len(pairs)
    assert any("Out-of-sample R²" in n for n in finding.notes)


def test_out_of_sample_r2_matches_a_refit_at_every_step():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=160)})
    frame["y"] = 0.5 * frame["x"] + rng.normal(size=160)
    model, naive = [], []
    for t in range(40, 160):  # refit on rows [0, t), forecast row t, against the mean of rows [0, t)
        b, a = np.polyfit(frame["x"][:t], frame["y"][:t], 1)
        model.append((frame["y"][t] - (a + b * frame["x"][t])) ** 2)
        naive.append((frame["y"][t] - frame["y"][:t].mean()) ** 2)
    assert oos_r2(frame, 40) == pytest.approx(1 - sum(model) / sum(naive), rel=1e-9)


def test_tic_holdings_by_hand():
    ends = pd.date_range("2023-01-31", periods=36, freq="ME")
    rng = np.random.default_rng(6)
    holdings = 1100 * np.exp(np.cumsum(rng.normal(-0.004, 0.01, len(ends))))
    holdings[ends.get_loc(pd.Timestamp("2025-11-30"))] = 1202.7
    data = MarketData({"TIC_JAPAN_UST": bars(holdings, ends, NEW_YORK)})
    params = check_params("tic_holdings", {"check_month": "2025-11", "check_value": 1202.0}, "t")
    finding = TESTS["tic_holdings"].run(params, 1, 0.95, data, context())
    changes = np.diff(np.log(holdings))[-12:]
    assert finding.estimate == pytest.approx(np.log(holdings[-1] / holdings[-13]), rel=1e-12)
    ci = stats.ttest_1samp(changes, 0.0).confidence_interval(0.95)
    assert finding.ci == pytest.approx((12 * ci.low, 12 * ci.high), rel=1e-12)
    assert finding.period == ("2025-01-31", "2025-12-31") and finding.n == 12
    assert any("November 2025 in the data: 1,202.7 bn USD, against the 1,202 bn USD cited" in n for n in finding.notes)


def _calendar(name: str, tz: str, rate: float) -> EventCalendar:
    event = Event(date(2015, 6, 1), pd.Timestamp("2015-06-01 12:00", tz=tz), True, "hike", rate, "", "", "")
    return EventCalendar(name, (event,), tz, date(2017, 1, 1), date(2015, 1, 1), date(2017, 1, 1))


def test_hedged_pickup_by_hand():
    events = Events(boj=_calendar("boj", "Asia/Tokyo", 0.5), fomc=_calendar("fomc", "America/New_York", 5.0), mof=EventCalendar("mof", (), "Asia/Tokyo", date(2017, 1, 1), date(2015, 1, 1), date(2017, 1, 1)))
    days = pd.bdate_range("2016-01-04", periods=200)
    ust = 4.0 + np.random.default_rng(7).normal(0, 0.05, len(days))
    data = MarketData({"UST10Y": bars(ust, days, NEW_YORK), "JGB10Y": bars(np.full(len(days), 1.5), days, TOKYO)})
    finding = TESTS["hedged_spread"].run({"ust": "UST10Y", "jgb": "JGB10Y", "recent_bars": 60}, 1, 0.95, data, context(events))
    # UST - (5.0 - 0.5) - 1.5 = UST - 6.0 percent, in bp; the JGB close of the same date is public before New York's.
    assert finding.estimate == pytest.approx(((ust[-60:] - 6.0) * 100).mean(), rel=1e-12)
    assert finding.n == 60 and finding.period == (f"{days[-60]:%Y-%m-%d}", f"{days[-1]:%Y-%m-%d}")
    assert any(f"below zero every day since {days[0]:%Y-%m-%d}" in n for n in finding.notes)


def test_the_correlation_adjustment_is_forbes_rigobon_and_undoes_a_louder_source():
    rng = np.random.default_rng(8)
    n = 20_000
    stress = np.zeros(n, dtype=bool)
    stress[:4000] = True
    source = rng.normal(0, 1, n) * np.where(stress, 3.0, 1.0)  # nine times the variance in stress
    y = 0.5 * source + rng.normal(0, 1, n)
    # For a pair holding the source, the adjustment is Forbes and Rigobon's formula, computed here by hand.
    raw, adj, delta = adjusted_correlations(np.column_stack([source, y])[stress], source[stress], np.var(source[~stress], ddof=1))
    rho = raw[0, 1]
    assert adj[0, 1] == pytest.approx(rho / np.sqrt(1 + delta * (1 - rho**2)), rel=1e-12)
    # Five markets loading on the source: links unchanged, so the raw stress correlation jumps (0.2 -> 0.69 in theory:
    # 0.25 var / (0.25 var + 1)) and the adjusted one falls back to the calm 0.2.
    markets = 0.5 * source[:, None] + rng.normal(0, 1, (n, 5))
    gap = stress_gap(markets, source, stress)
    assert gap["stress"] == pytest.approx(0.692, abs=0.03) and gap["calm"] == pytest.approx(0.2, abs=0.02)
    assert abs(gap["gap"]) < 0.03


def test_signal_events_start_at_the_first_asset_close_after_the_yen_move():
    days = pd.bdate_range("2016-01-04", periods=60)
    usdjpy = np.full(len(days), 100.0)
    usdjpy[10:] = 96.0  # -4 % on day 10: the 5-bar return is <= -3 % on days 10..14
    usdjpy[30:] = 92.0  # -4.2 % on day 30
    nikkei = np.full(len(days), 100.0)
    data = MarketData({"USDJPY": bars(usdjpy, days, FIX), "NIKKEI225": bars(nikkei, days, TOKYO)})
    sel = signal_events(data, "NIKKEI225", yen="USDJPY", yen_bars=5, yen_move=-0.03, cooldown=15)
    # Day 10's fixing (14:15 Frankfurt) is after Tokyo's close that day: the first Nikkei close after it is day 11's.
    assert list(sel.times.index) == [f"{days[11]:%Y-%m-%d}", f"{days[31]:%Y-%m-%d}"]
    assert sel.times.iloc[0] == pd.Timestamp(f"{days[11]:%Y-%m-%d} 15:00", tz="Asia/Tokyo") + pd.Timedelta(1, "ns")
    assert len(signal_events(data, "NIKKEI225", yen="USDJPY", yen_bars=5, yen_move=-0.03, cooldown=20).times) == 1  # 20 bars apart: one episode
    nikkei[12:] = 94.0  # the Nikkei down 6 % on day 12
    data = MarketData({"USDJPY": bars(usdjpy, days, FIX), "NIKKEI225": bars(nikkei, days, TOKYO)})
    both = signal_events(data, "NIKKEI225", yen="USDJPY", yen_bars=5, yen_move=-0.03, asset_bars=5, asset_move=-0.05, cooldown=15)
    assert list(both.times.index) == [f"{days[12]:%Y-%m-%d}"]  # both conditions first hold at day 12's Tokyo close


# --- the scorecard -----------------------------------------------------------------------------


def _market(tmp_path) -> tuple[Path, Path]:
    """A data folder: a NIKKEI225 with a planted +2 % on 25 event days (and those events), SPX, UST30Y, JGB30Y."""
    folder, events, dates, *_ = planted_market(tmp_path)
    rng = np.random.default_rng(9)
    for sym, start in (("SPX", 100.0), ("UST30Y", 3.0), ("JGB30Y", 1.0)):
        walk = start * np.cumprod(1 + rng.normal(0, 0.01, len(dates))) if sym == "SPX" else start + np.cumsum(rng.normal(0, 0.03, len(dates)))
        pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "close": walk}).to_csv(folder / f"{sym}.csv", index=False)
    return folder, events


def _claims_folder(tmp_path, events: Path) -> Path:
    folder = tmp_path / "claims"
    folder.mkdir()
    base = 'claim = "c {id}"\narticle = "{art}"\nlevel = 0.95\nwhy_threshold = "w"\n'
    _write(folder, "planted", base.format(id="planted", art="SOC") + 'test = "event_study"\ndata = ["NIKKEI225"]\ndirection = "+"\nthreshold = 0.005\n'
           f'id = "planted"\n[params]\nevents = "{events.as_posix()}"\nasset = "NIKKEI225"\n')  # fmt: skip
    _write(folder, "needs-es", base.format(id="needs-es", art="CF") + 'id = "needs-es"\ntest = "lead_lag"\ndata = ["NIKKEI225", "ES"]\nunit = "beta"\n'
           'threshold = 0.03\n[params]\nasset = "ES"\n')  # fmt: skip
    _write(folder, "proxied", base.format(id="proxied", art="CF") + 'id = "proxied"\ntest = "lead_lag"\ndata = ["NIKKEI225", "ES"]\nunit = "beta"\n'
           'threshold = 0.03\n[proxies]\nES = "SPX"\n[params]\nasset = "ES"\n')  # fmt: skip
    _write(folder, "spill", base.format(id="spill", art="RB") + 'id = "spill"\ntest = "spillover"\ndata = ["UST30Y", "JGB30Y"]\nunit = "bp per bp"\nthreshold = 0.1\n')
    _write(folder, "no-data", base.format(id="no-data", art="CF") + 'id = "no-data"\ntest = "unavailable"\nneeds = "a fiscal series the package lacks"\n')
    return folder


@pytest.fixture
def scorecard(tmp_path):
    data_dir, events = _market(tmp_path)
    folder = _claims_folder(tmp_path, events)
    return claims(folder=folder, data_dir=data_dir, offline=True, placebo=500, bootstrap=100), folder, data_dir


def test_the_scorecard_judges_tested_claims_and_says_what_is_missing(scorecard):
    card, *_ = scorecard
    table = card.table.set_index("id")
    assert list(table.index) == ["needs-es", "no-data", "planted", "proxied", "spill"]
    assert table.loc["planted", "verdict"] == "supported"  # +2 % planted on 25 days, in both halves
    assert table.loc["planted", "estimate"] == pytest.approx(card["planted"].finding.study.summary.loc[0, "mean"])
    assert table.loc["needs-es", "verdict"] == "not tested" and table.loc["needs-es", "missing"] == "ES"
    assert "fetch ES (`jpmacro-bt data fetch ES`)" in table.loc["needs-es", "why"]
    assert table.loc["no-data", "verdict"] == "not tested" and "a fiscal series the package lacks" in table.loc["no-data", "why"]
    assert any("SPX stands in" in n for n in card["proxied"].notes) and "slope of the next 1-bar SPX return" in table.loc["proxied", "statistic"]
    assert card.missing == ["ES"]
    # Benjamini-Hochberg by hand: sort the p-values, scale the k-th smallest by m / k, take running minima from the largest.
    tested = table[table["p_value"].notna()]
    p = tested["p_value"].to_numpy()
    order = np.argsort(p)
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.empty(len(p))
    adjusted[order] = np.minimum(1, np.minimum.accumulate(scaled[::-1])[::-1])
    assert tested["p_adjusted"].to_numpy() == pytest.approx(adjusted, rel=1e-12)
    assert isinstance(card.plot().axes[0].get_title(), str) and card["spill"].plot() is not None


def test_the_scorecard_folder_holds_a_page_a_table_and_a_detail_per_tested_claim(scorecard, tmp_path):
    card, *_ = scorecard
    out = write_claims(card, tmp_path / "reports")
    assert out.name == f"claims-{card.id}"
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "planted", "proxied", "scorecard.csv", "scorecard.json", "spill"]
    assert sorted(p.name for p in (out / "planted").iterdir()) == ["events.csv", "study.html", "study.json"]
    assert sorted(p.name for p in (out / "spill").iterdir()) == ["data.csv", "detail.html"]
    page = (out / "index.html").read_text()
    assert page.count("<tr id='claim-") == 5 and "href='planted/study.html'" in page and "href='spill/detail.html'" in page
    assert "jpmacro-bt data fetch ES" in page and "Benjamini-Hochberg" in page
    saved = json.loads((out / "scorecard.json").read_text())  # strict JSON: NaN would not parse back the same
    assert [c["id"] for c in saved["claims"]] == list(card.table["id"]) and saved["claims"][0]["estimate"] is None
    assert len(pd.read_csv(out / "scorecard.csv")) == 5


def test_the_cli_writes_the_scorecard_with_the_api_numbers(scorecard, tmp_path):
    card, folder, data_dir = scorecard
    done = runner.invoke(app, ["claims", "--claims-dir", str(folder), "--data-dir", str(data_dir), "--offline", "--placebo", "500",
                               "--bootstrap", "100", "--reports-dir", str(tmp_path / "r")], catch_exceptions=False)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    (out,) = (tmp_path / "r").iterdir()
    saved = json.loads((out / "scorecard.json").read_text())
    assert saved["claims"] == card.to_dict()["claims"]
    assert "planted" in done.stdout and "supported" in done.stdout
    assert "to test every claim: jpmacro-bt data fetch ES (or pass --data-dir DIR)" in done.stdout
    assert f"report: {out / 'index.html'}" in done.stdout


def test_the_cli_lists_claims_and_names_an_unknown_one(tmp_path):
    listed = runner.invoke(app, ["claims", "--list"], catch_exceptions=False)
    assert listed.exit_code == 0 and "soc-hike-yen" in listed.stdout and "cf-fiscal-impulse" in listed.stdout
    done = runner.invoke(app, ["claims", "--claim", "soc-hike-yn", "--reports-dir", str(tmp_path)], catch_exceptions=False)
    assert done.exit_code == 1
    assert done.stderr.startswith("JpMacroError: unknown claim 'soc-hike-yn' (did you mean soc-hike-yen?)")
    assert not any(tmp_path.iterdir())
