"""TIC Major Foreign Holders: year blocks, footnoted names, months printed twice at series breaks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.tic import TIC_MFH_HISTORY_URL, TicSource, normalize_country, parse_mfh

# Typed from mfhhis01.txt (published 3/18/26): the title, the 2011 block (June printed
# twice: Series XII then Series XI), the 2002 block (June twice, Luxembourg 'n.a.'), the
# 2000 block (March twice: Series II then Series I, a trailing empty column) and footnotes.
EXCERPT = (Path(__file__).parent / "data" / "sources" / "tic_mfhhis01_excerpt.txt").read_text()


def test_country_names_are_normalised():
    assert normalize_country('"Korea, South "') == "Korea, South"
    assert normalize_country("United Kingdom 2/") == "United Kingdom"
    assert normalize_country("Japan") == "Japan"


def test_revised_month_keeps_the_new_series_value():
    japan = parse_mfh(EXCERPT)["Japan"].dropna()
    # 2011: June twice, 881.5 (Series XII, continued by July) and 911.1 (Series XI,
    # "shown for comparison only"); the new series is kept. Same in 2002 (349.2 vs 335.8)
    # and March 2000 (307.6 vs 325.8). The shared TIC_JAPAN_UST.csv has the same values.
    assert japan["2011-06-30"] == 881.5
    assert japan["2002-06-30"] == 349.2
    assert japan["2000-03-31"] == 307.6
    # Neighbours read from the right columns: May 2011 = 912.4, July 2011 = 884.9.
    assert japan["2011-05-31"] == 912.4
    assert japan["2011-07-31"] == 884.9


def test_month_end_dates_and_counts():
    japan = parse_mfh(EXCERPT)["Japan"].dropna()
    # 12 months each in 2011 and 2002 (13 columns minus the duplicate June), 10 in 2000 (Mar..Dec).
    assert len(japan) == 12 + 12 + 10
    assert japan.index[0] == pd.Timestamp("2000-03-31")
    assert japan.index[-1] == pd.Timestamp("2011-12-31")
    assert (japan.index == japan.index + pd.offsets.MonthEnd(0)).all()
    assert japan["2002-02-28"] == 311.9


def test_na_cells_and_footnoted_names():
    table = parse_mfh(EXCERPT)
    lux = table["Luxembourg"].dropna()
    # 2002: values Jul..Dec, 'n.a.' Jan..Jun (the June column kept is the first, 23.1).
    assert lux.index.min() == pd.Timestamp("2002-06-30") and len(lux) == 7
    assert table.loc["2011-12-31", "United Kingdom"] == 114.3
    assert table.loc["2000-12-31", "Korea, South"] == 29.6


def test_not_a_tic_report():
    with pytest.raises(SourceError, match="Country"):
        parse_mfh("hello\tworld\n")


def test_source_selects_country_and_later_files_win():
    revised = EXCERPT.replace("Japan\t378.1", "Japan\t380.0")  # a made-up later print of Dec 2002
    files = {"a": EXCERPT.encode(), "b": revised.encode()}
    bars = TicSource(files.__getitem__, urls=["a", "b"]).load("Japan", close="16:00 America/New_York")
    assert bars.frame.loc["2002-12-31", "close"] == 380.0
    assert bars.frame.loc["2002-11-30", "close"] == 374.9
    assert TicSource(lambda url: EXCERPT.encode()).load("japan", close="x").origin == TIC_MFH_HISTORY_URL


def test_unknown_country_suggests_a_name():
    with pytest.raises(SourceError, match="did you mean Japan"):
        TicSource(lambda url: EXCERPT.encode()).load("Japna", close="16:00 America/New_York")


def test_notes_in_value_columns_are_skipped_but_bad_values_are_errors():
    noisy = EXCERPT + "Note\tsee\tbelow\n"
    assert len(parse_mfh(noisy)["Japan"].dropna()) == 34
    broken = EXCERPT.replace("Japan\t378.1\t374.9", "Japan\t378.1\tx9")  # Nov 2002 garbled
    with pytest.raises(SourceError, match=r"tic: Japan 2002-11: 'x9' is not a number"):
        parse_mfh(broken)
