"""Commands that judge claims with evidence: ``study`` (an event study) and ``claims`` (the scorecard)."""

# No `from __future__ import annotations`: typer reads the annotations when the commands are registered.

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from jpmacro_bt.cli._common import (
    DataDirOpt,
    EndOpt,
    OfflineOpt,
    SourceOpt,
    StartOpt,
    console,
    parse_date,
)

EVENTS_HELP = (
    "boj:hike, boj:cut, fomc:hike, fomc:cut, mof:yen_buying, mof:yen_selling, elections (CALENDAR[:DECISION]), "
    "or a CSV of announcement times: columns time (ISO with offset) or date and tz; optional label."
)
ReportsDirOpt = Annotated[Path, typer.Option(help="Where the report folder is written.")]


def _horizons(text: str) -> tuple[int, ...]:
    from jpmacro_bt.errors import JpMacroError

    try:
        hs = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise JpMacroError(f"--horizons {text!r} is not a list of whole numbers of bars; e.g. --horizons 1,5,20") from None
    if not hs:
        raise JpMacroError("--horizons is empty; e.g. --horizons 1,5,20")
    return hs


def study(
    events: Annotated[str, typer.Argument(help=EVENTS_HELP, show_default=False)],
    asset: Annotated[str, typer.Option(help="The symbol whose moves are studied, a price or a yield (see `jpmacro-bt symbols`).", show_default=False)],
    window: Annotated[str, typer.Option(help="FIRST:LAST window days, in bars from day 0.")] = "-10:20",
    horizons: Annotated[str, typer.Option(help="Bars after day -1 at which moves are tested, comma-separated.")] = "1,5,20",
    placebo: Annotated[int, typer.Option(help="Placebo draws of random non-event days (0 = off).")] = 10_000,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples of the events for the bands (0 = off).")] = 2000,
    exclude_contaminated: Annotated[bool, typer.Option("--exclude-contaminated", help="Leave out events whose window holds another event.")] = False,
    expected: Annotated[str, typer.Option(help="mean (abnormal moves: less the mean daily move of quiet days) or zero (raw moves).")] = "mean",
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and the placebo draws.")] = 0,
    start: StartOpt = None,
    end: EndOpt = None,
    source: SourceOpt = None,
    data_dir: DataDirOpt = None,
    offline: OfflineOpt = False,
    reports_dir: ReportsDirOpt = Path("reports"),
) -> None:
    """Event study: how ASSET moved around EVENTS, against random days; writes reports/study-<id>/."""
    from jpmacro_bt.reports.study_page import write_study
    from jpmacro_bt.research.eventstudy import parse_window
    from jpmacro_bt.research.studies import study as run_study

    window_days = parse_window(window)
    hs = _horizons(horizons)
    with console(stderr=True).status(f"studying {events} on {asset}"):
        result = run_study(
            events, asset, window=window_days, horizons=hs, placebo=placebo, bootstrap=bootstrap, exclude_contaminated=exclude_contaminated,
            expected=expected, seed=seed, start=parse_date(start, "--start"), end=parse_date(end, "--end"), source=source,
            data_dir=data_dir, offline=offline,
        )  # fmt: skip
        folder = write_study(result, reports_dir, argv=["jpmacro-bt", *sys.argv[1:]])
    print_study(result)
    console().print(f"report: {folder / 'study.html'}")


def print_study(result) -> None:
    """The summary table of a study, as the page shows it."""
    import math

    from rich.table import Table

    from jpmacro_bt.reports.study_page import format_p
    from jpmacro_bt.research.eventplots import move_scale

    s = result.result.settings
    ev = result.events
    scale, unit = move_scale(s.kind)
    digits = 2 if s.kind == "price" else 1

    def num(x, signed: bool = True) -> str:
        return "-" if not math.isfinite(x) else f"{x * scale:{'+' if signed else ''}.{digits}f}"

    out = console()
    out.print(f"{result.title}: {int(ev['used'].sum())} of {len(ev)} events used, bars {s.first_bar} .. {s.last_bar}; "
              f"{'abnormal' if s.expected == 'mean' else 'raw'} moves in {unit}")  # fmt: skip
    table = Table()
    for col in ("h", "n", "mean", f"{s.level:.0%} CI", "t p", "sign p", "Wilc. p", "placebo p", "MDE"):
        table.add_column(col, justify="right", no_wrap=True)
    rows = result.summary.to_dict("records")
    for r in rows:
        table.add_row(
            str(r["horizon"]), str(r["n"]), num(r["mean"]), f"{num(r['ci_lo'])}..{num(r['ci_hi'])}", format_p(r["t_pvalue"]),
            format_p(r["sign_pvalue"]), format_p(r["wilcoxon_pvalue"]), format_p(r["placebo_pvalue"]), num(r["mde"], signed=False),
        )  # fmt: skip
    out.print(table)
    for r in rows:
        out.print(f"horizon {r['horizon']}: {r['verdict']}")
    unused = ev[~ev["used"]]
    for r in unused.to_dict("records"):
        out.print(f"not used: {r['label']}: {r['reason']}")
    flagged = int(ev["contaminated"].sum())
    if flagged:
        out.print(f"{flagged} event window(s) also hold other events (see the page); --exclude-contaminated drops them")


def claims(
    claim: Annotated[list[str], typer.Option("--claim", "-c", help="Only this claim id (repeatable; default: every claim).", show_default=False)] = [],  # noqa: B006
    list_claims: Annotated[bool, typer.Option("--list", help="List the claims and their tests, and stop.")] = False,
    claims_dir: Annotated[Optional[Path], typer.Option(help="Folder of claim files, *.toml (default: the bundled claims).", show_default=False)] = None,
    placebo: Annotated[int, typer.Option(help="Placebo draws of each test that has one (0 = off).")] = 10_000,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples of each test that has one (0 = off).")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstraps and the placebo draws.")] = 0,
    end: EndOpt = None,
    source: SourceOpt = None,
    data_dir: DataDirOpt = None,
    offline: OfflineOpt = False,
    reports_dir: ReportsDirOpt = Path("reports"),
) -> None:
    """Test each claim of the articles and give it a verdict; writes reports/claims-<id>/index.html."""
    from jpmacro_bt.reports.claims_page import write_claims
    from jpmacro_bt.research.claims import claims as run_claims
    from jpmacro_bt.research.claims import load_claims

    if list_claims:
        _print_specs(load_claims(claims_dir))
        return
    with console(stderr=True).status("testing the claims"):
        card = run_claims(folder=claims_dir, only=claim or None, end=parse_date(end, "--end"), source=source, data_dir=data_dir,
                          offline=offline, placebo=placebo, bootstrap=bootstrap, seed=seed)  # fmt: skip
        folder = write_claims(card, reports_dir, argv=["jpmacro-bt", *sys.argv[1:]])
    print_scorecard(card)
    console().print(f"report: {folder / 'index.html'}")


def _print_specs(specs) -> None:
    from rich.table import Table

    table = Table(title=f"{len(specs)} claims", title_justify="left")
    for col in ("id", "article", "test", "data", "claim"):
        table.add_column(col, no_wrap=col != "claim")
    for s in specs:
        table.add_row(s.id, s.article, s.test, " ".join(s.data), s.claim)
    console().print(table)


def print_scorecard(card) -> None:
    """The scorecard as a terminal table, then each claim's reason."""
    from rich.table import Table

    from jpmacro_bt.reports.study_page import format_p
    from jpmacro_bt.research.claims import format_value

    table = Table(title=f"claims scorecard {card.id}", title_justify="left")
    width = max(len(r.spec.id) for r in card.results)
    table.add_column("claim", no_wrap=True, min_width=width)
    table.add_column("estimate [95% CI]", min_width=12)
    for col in ("p", "p adj.", "N"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("period", min_width=10)
    table.add_column("verdict", min_width=12)
    for r in card.results:
        f, u = r.finding, r.spec.unit
        if f is None:
            table.add_row(r.spec.id, "-", "-", "-", "-", "-", r.verdict)
            continue
        table.add_row(
            r.spec.id, f"{format_value(f.estimate, u)} [{format_value(f.ci[0], u)} .. {format_value(f.ci[1], u)}]",
            format_p(f.p_value), format_p(r.p_adjusted), f"{f.n:,}", f"{f.period[0]} .. {f.period[1]}", r.verdict,
        )  # fmt: skip
    out = console()
    out.print(table)
    for r in card.results:
        out.print(f"{r.spec.id}: {r.verdict}: {r.why}")
    if card.missing:
        out.print(f"to test every claim: jpmacro-bt data fetch {' '.join(card.missing)} (or pass --data-dir DIR)")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("study")(study)
    app.command("claims")(claims)
