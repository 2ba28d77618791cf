"""The claims of the three articles, each tested and given a verdict by fixed rules.

Each claim is a TOML file shipped in ``jpmacro_bt/claims/`` (one per claim; the
file name is its id)::

    id = "soc-hike-yen"                       # = the file name
    claim = "Another BoJ hike makes the yen spike."
    article = "SOC"                           # SOC, RB or CF (see ARTICLES)
    test = "event_study"                      # a test of jpmacro_bt.research.claimtests.TESTS
    data = ["USDJPY"]                         # symbols the test reads
    horizon = 1                               # bars, where the test has one
    direction = "-"                           # the claimed sign of the statistic
    threshold = 0.005                         # smallest effect that would matter, in the statistic's unit
    unit = "fraction"                         # fraction (shown in %), bp, or a plain number's name
    level = 0.95                              # confidence level; 1 - level is the significance level
    why_threshold = "..."                     # why that threshold
    needs = "..."                             # for test = "unavailable": the data it would need
    [proxies]                                 # optional: a stand-in for a symbol that cannot be loaded
    ES = "SPX"
    [params]                                  # the test's own parameters
    events = "boj:hike"

Verdicts follow :data:`RULES`, in order, on p-values adjusted for testing
every claim at once (Benjamini-Hochberg).
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jpmacro_bt.data import MarketData, load_market_data
from jpmacro_bt.errors import DataError, JpMacroError, did_you_mean
from jpmacro_bt.events import load_events
from jpmacro_bt.research.claimtests import TESTS, check_params
from jpmacro_bt.research.findings import ClaimContext, Finding

__all__ = ["ARTICLES", "RULES", "VERDICTS", "ClaimResult", "ClaimSpec", "Scorecard", "claims", "format_value", "judge", "load_claims", "parse_claim"]

ARTICLES = {
    "SOC": "a widely shared social-media thread on the BoJ's latest hike (January 2026)",
    "RB": "a rebuttal of the \"Japan dumps Treasuries\" thread (late January 2026)",
    "CF": "Capital Flows Research, \"Regime Shift In Japan: The Melt Up Before The Crash\" (2026-01-09)",
}
VERDICTS = ("supported", "contradicted", "inconclusive", "not tested")
RULES = (
    ("not tested", "the data the test needs are missing, or the package has no data to test the claim at all"),
    ("contradicted", ("significant the other way: the Benjamini-Hochberg adjusted p-value is below the claim's significance level "
                     "(1 - its confidence level) and the estimate points against the claimed direction")),
    ("contradicted", ("bounded below what matters: the whole confidence interval, read in the claimed direction, lies below the "
                     "smallest effect that would matter economically (claims with a threshold above zero)")),
    ("supported", ("significant in the claimed direction (adjusted p-value below the significance level) and the estimate has the "
                  "claimed sign in both halves of the sample")),
    ("inconclusive", "anything else; the minimum detectable effect says how large an effect the sample could have found"),
)  # fmt: skip
_KEYS = {"id": str, "claim": str, "article": str, "test": str, "data": list, "horizon": int, "direction": str, "threshold": (int, float),
         "unit": str, "level": float, "why_threshold": str, "needs": str, "proxies": dict, "params": dict}  # fmt: skip
_REQUIRED = ("id", "claim", "article", "test")


@dataclass(frozen=True)
class ClaimSpec:
    """One claim file, checked (see the module docstring for the fields)."""

    id: str
    claim: str
    article: str
    test: str
    data: tuple[str, ...] = ()
    horizon: int = 1
    direction: str = "+"
    threshold: float = 0.0
    unit: str = "fraction"
    level: float = 0.95
    why_threshold: str = ""
    needs: str = ""
    proxies: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def parse_claim(path: Path) -> ClaimSpec:
    """Read and check one claim file.

    Raises
    ------
    JpMacroError
        Unreadable TOML, an unknown or missing key, a wrong type or value, naming the file and the fix.
    """
    where = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise JpMacroError(f"cannot read claim file {where}: {exc}") from None
    for key, value in raw.items():
        if key not in _KEYS:
            raise JpMacroError(f"{where}: unknown key {key!r}{did_you_mean(key, _KEYS)}; keys: {', '.join(_KEYS)}")
        kind = _KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise JpMacroError(f"{where}: {key} = {value!r} must be a {getattr(kind, '__name__', 'number')}")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise JpMacroError(f"{where}: missing {', '.join(missing)}; every claim needs {', '.join(_REQUIRED)}")
    spec = ClaimSpec(**{k: v for k, v in raw.items() if k not in ("data", "params", "threshold")}, data=tuple(raw.get("data", ())),
                     threshold=float(raw.get("threshold", 0.0)), params=dict(raw.get("params", {})), path=Path(path))  # fmt: skip
    if spec.id != Path(path).stem:
        raise JpMacroError(f"{where}: id {spec.id!r} differs from the file name; rename the file {spec.id}.toml or fix the id")
    if spec.article not in ARTICLES:
        raise JpMacroError(f"{where}: article {spec.article!r}{did_you_mean(spec.article, ARTICLES)}; use one of {', '.join(ARTICLES)}")
    if spec.direction not in ("+", "-"):
        raise JpMacroError(f"{where}: direction {spec.direction!r}; use '+' (the claim says the statistic is positive) or '-'")
    if not 0 < spec.level < 1 or spec.threshold < 0 or spec.horizon < 1:
        raise JpMacroError(f"{where}: need 0 < level < 1, threshold >= 0 and horizon >= 1; got {spec.level}, {spec.threshold}, {spec.horizon}")
    if spec.test == "unavailable" and not spec.needs:
        raise JpMacroError(f"{where}: a claim with test = 'unavailable' must say in `needs` what data a test would need")
    return replace(spec, params=check_params(spec.test, spec.params, where))


def _claims_dir() -> Path:
    return Path(str(resources.files("jpmacro_bt") / "claims"))


def load_claims(folder: Path | None = None) -> tuple[ClaimSpec, ...]:
    """Every ``*.toml`` claim in ``folder`` (default: the bundled claims), sorted by id."""
    folder = Path(folder) if folder else _claims_dir()
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        raise JpMacroError(f"no claim files (*.toml) in {folder}; point --claims-dir at a folder of them")
    return tuple(parse_claim(f) for f in files)


def format_value(value: Any, unit: str, signed: bool = True) -> str:
    """A statistic in its unit: a fraction in %, bp, otherwise a plain number; ``-`` when missing."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    sign = "+" if signed else ""
    if unit == "fraction":
        return f"{value * 100:{sign}.2f} %"
    if unit == "bp":
        return f"{value:{sign}.1f} bp"
    return f"{value:{sign}.3f}"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def judge(*, direction: str, estimate: float, ci: tuple[float, float], p_adjusted: float, halves: tuple[float, float], threshold: float,
          alpha: float, mde: float, unit: str = "fraction") -> tuple[str, str]:  # fmt: skip
    """The verdict of :data:`RULES` and the reason, in words, for a tested claim."""
    s = 1.0 if direction == "+" else -1.0
    if not (math.isfinite(estimate) and math.isfinite(p_adjusted)):
        return "inconclusive", "too few observations for the test"
    effect = s * estimate
    _, hi = sorted((s * ci[0], s * ci[1]))
    if p_adjusted < alpha and effect < 0:
        return "contradicted", f"significant against the claim (adjusted p {_p(p_adjusted)} < {alpha:.2f})"
    if threshold > 0 and math.isfinite(hi) and hi < threshold:
        return "contradicted", (f"the interval ({format_value(ci[0], unit)} .. {format_value(ci[1], unit)}) does not reach "
                                f"{format_value(s * threshold, unit)}, the smallest effect that would matter")  # fmt: skip
    if p_adjusted < alpha and effect > 0:
        if all(math.isfinite(h) and s * h > 0 for h in halves):
            return "supported", f"significant in the claimed direction (adjusted p {_p(p_adjusted)}) and in both halves of the sample"
        return "inconclusive", (f"significant in the claimed direction (adjusted p {_p(p_adjusted)}) but not in both halves of the sample "
                                f"({format_value(halves[0], unit)} and {format_value(halves[1], unit)})")  # fmt: skip
    where = "in the claimed direction" if effect > 0 else "against the claimed direction"
    power = f"the sample could detect only effects of {format_value(mde, unit, signed=False)} or more" if math.isfinite(mde) else "too few observations for a minimum detectable effect"
    return "inconclusive", f"not significant (adjusted p {_p(p_adjusted)}; estimate {where}); {power}"


@dataclass(frozen=True, eq=False)
class ClaimResult:
    """A claim, its test's finding (None when untested), its verdict and why.

    ``missing`` maps each symbol that could not be loaded to the reason;
    ``notes`` says what stood in for what.
    """

    spec: ClaimSpec
    finding: Finding | None
    verdict: str
    why: str
    p_adjusted: float = math.nan
    missing: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def plot(self):
        """The claim's detail figure (matplotlib), or None when it was not tested."""
        return self.finding.plot() if self.finding is not None else None


_COLUMNS = ("id", "article", "claim", "test", "statistic", "unit", "direction", "threshold", "level", "estimate", "ci_lo", "ci_hi",
            "p_value", "p_adjusted", "p_method", "n", "n_what", "start", "end", "first_half", "second_half", "mde", "verdict", "why",
            "missing")  # fmt: skip


@dataclass(frozen=True, eq=False)
class Scorecard:
    """Every claim's result; :attr:`table` has one row per claim and :meth:`plot` draws them on one scale."""

    id: str
    created_at: datetime
    results: tuple[ClaimResult, ...]
    options: dict[str, Any]
    fingerprint: dict[str, Any]

    def __getitem__(self, claim_id: str) -> ClaimResult:
        for r in self.results:
            if r.spec.id == claim_id:
                return r
        raise KeyError(f"no claim {claim_id!r}{did_you_mean(claim_id, [r.spec.id for r in self.results])}")

    @property
    def table(self) -> pd.DataFrame:
        """One row per claim: the columns of the terminal table and the page, numbers unrounded."""
        rows = []
        for r in self.results:
            f, s = r.finding, r.spec
            rows.append({
                "id": s.id, "article": s.article, "claim": s.claim, "test": s.test, "statistic": f.statistic if f else "",
                "unit": s.unit, "direction": s.direction, "threshold": s.threshold, "level": s.level,
                "estimate": f.estimate if f else math.nan, "ci_lo": f.ci[0] if f else math.nan, "ci_hi": f.ci[1] if f else math.nan,
                "p_value": f.p_value if f else math.nan, "p_adjusted": r.p_adjusted, "p_method": f.p_method if f else "",
                "n": f.n if f else 0, "n_what": f.n_what if f else "", "start": f.period[0] if f else "", "end": f.period[1] if f else "",
                "first_half": f.halves[0] if f else math.nan, "second_half": f.halves[1] if f else math.nan, "mde": f.mde if f else math.nan,
                "verdict": r.verdict, "why": r.why, "missing": " ".join(r.missing),
            })  # fmt: skip
        return pd.DataFrame(rows, columns=list(_COLUMNS))

    @property
    def missing(self) -> list[str]:
        """Symbols some claim needed and could not load, to fetch with ``jpmacro-bt data fetch``."""
        return sorted({m for r in self.results for m in r.missing})

    def plot(self):
        """A matplotlib Figure: each tested claim's estimate and interval in standard errors, coloured by verdict."""
        from jpmacro_bt.research.claimplots import forest_figure

        return forest_figure(self.table)

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-safe: the table's rows (NaN as None), each claim's notes, the options and the data used."""
        table = self.table.astype(object).where(self.table.notna(), None)
        notes = {r.spec.id: [*(r.finding.notes if r.finding else ()), *r.notes] for r in self.results}
        return {"scorecard_id": self.id, "created_at": self.created_at.isoformat(timespec="seconds"), "rules": [list(x) for x in RULES],
                "articles": ARTICLES, "claims": table.to_dict("records"), "notes": notes, "options": self.options, "data": self.fingerprint}


def _load_each(symbols: list[str], **kwargs: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Bars of each symbol that loads, and the one-line reason for each that does not."""
    bars, failed = {}, {}
    for sym in symbols:
        try:
            bars[sym] = load_market_data([sym], **kwargs).bars[sym]
        except DataError as exc:
            reason = str(exc).splitlines()[-1].strip()
            failed[sym] = reason.removeprefix(f"{sym}: ")
    return bars, failed


def _substitute(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_substitute(v, old, new) for v in value]
    return value


def _prepare(spec: ClaimSpec, bars: dict[str, Any], failed: dict[str, str]) -> tuple[ClaimSpec, dict[str, str], list[str]]:
    """The spec with proxies standing in for symbols that failed, what is still missing, and notes saying so."""
    missing, notes = {}, []
    for sym in spec.data:
        if sym in bars:
            continue
        proxy = spec.proxies.get(sym)
        if proxy and proxy in bars:
            spec = replace(spec, data=tuple(_substitute(list(spec.data), sym, proxy)), params={k: _substitute(v, sym, proxy) for k, v in spec.params.items()})
            notes.append(f"{sym} could not be loaded, so {proxy} stands in for it; fetch {sym} (`jpmacro-bt data fetch {sym}`) to test {sym} itself.")
        else:
            missing[sym] = failed.get(sym, "not loaded")
    return spec, missing, notes


def claims(
    *,
    folder: Path | None = None,
    only: list[str] | tuple[str, ...] | None = None,
    end: date | str | None = None,
    source: str | None = None,
    data_dir: Path | None = None,
    offline: bool = False,
    placebo: int = 10_000,
    bootstrap: int = 2000,
    seed: int = 0,
    now: datetime | None = None,
) -> Scorecard:
    """Test every claim (or those in ``only``) on data loaded like a run's, up to ``end``, and judge them.

    A claim whose data cannot be loaded, or whose test cannot run on what was
    loaded, is ``not tested`` and says why; the others are judged by
    :data:`RULES` on Benjamini-Hochberg adjusted p-values.
    """
    specs = load_claims(folder)
    if only:
        ids = [s.id for s in specs]
        for wanted in only:
            if wanted not in ids:
                raise JpMacroError(f"unknown claim {wanted!r}{did_you_mean(wanted, ids)}; `jpmacro-bt claims --list` shows them")
        specs = tuple(s for s in specs if s.id in only)
    end_date = pd.Timestamp(end).date() if end is not None else None
    symbols = list(dict.fromkeys(x for s in specs for x in (*s.data, *s.proxies.values())))
    bars, failed = _load_each(symbols, end=end_date, source=source, data_dir=data_dir, offline=offline)
    ctx = ClaimContext(events=load_events(), placebo=placebo, bootstrap=bootstrap, seed=seed)
    tested: list[tuple[ClaimSpec, Finding | None, dict[str, str], list[str], str]] = []
    for spec in specs:
        run_spec, missing, notes = _prepare(spec, bars, failed)
        finding, why = None, ""
        if spec.test == "unavailable":
            why = f"the package has no data to test it; a test needs {spec.needs}"
        elif missing:
            why = "data missing: fetch " + ", ".join(missing) + " (`jpmacro-bt data fetch " + " ".join(missing) + "`)"
        else:
            data = MarketData({s: bars[s] for s in run_spec.data})
            try:
                finding = TESTS[spec.test].run(run_spec.params, spec.horizon, spec.level, data, ctx)
            except JpMacroError as exc:
                why = f"the test could not run: {exc}"
        tested.append((spec, finding, missing, notes, why))
    results = _judge_all(tested)
    options = {"folder": str(folder) if folder else None, "only": list(only) if only else None, "end": str(end_date) if end_date else None,
               "source": source, "data_dir": str(data_dir) if data_dir else None, "offline": offline, "placebo": placebo,
               "bootstrap": bootstrap, "seed": seed}  # fmt: skip
    now = now or datetime.now(UTC)
    key = json.dumps({"claims": [s.id for s in specs], **options}, sort_keys=True)
    fingerprint = MarketData(bars).fingerprint() if bars else {}
    return Scorecard(f"{now:%Y%m%d-%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}", now, tuple(results), options, fingerprint)


def _judge_all(tested: list[tuple[ClaimSpec, Finding | None, dict[str, str], list[str], str]]) -> list[ClaimResult]:
    """Benjamini-Hochberg over every finite p-value, then each claim's verdict."""
    from scipy.stats import false_discovery_control

    ps = np.array([f.p_value if f is not None else np.nan for _, f, *_ in tested], dtype=float)
    adjusted = np.full(len(ps), np.nan)
    ok = np.isfinite(ps)
    if ok.any():
        adjusted[ok] = false_discovery_control(ps[ok], method="bh")
    out = []
    for (spec, finding, missing, notes, why), p_adj in zip(tested, adjusted):
        if finding is None:
            out.append(ClaimResult(spec, None, "not tested", why, math.nan, missing, tuple(notes)))
            continue
        verdict, reason = judge(direction=spec.direction, estimate=finding.estimate, ci=finding.ci, p_adjusted=float(p_adj),
                                halves=finding.halves, threshold=spec.threshold, alpha=1 - spec.level, mde=finding.mde, unit=spec.unit)  # fmt: skip
        out.append(ClaimResult(spec, finding, verdict, reason, float(p_adj), missing, tuple(notes)))
    return out
