"""The Python API: the same numbers as the engine, in-memory strategies, and the notebook in docs/ executed."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jpmacro_bt as jb
from jpmacro_bt import Signals, Strategy, hold_for, param
from jpmacro_bt.errors import StrategyError

from .conftest import make_market

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"


@dataclass(frozen=True)
class EveryTwentieth(Strategy):
    """Long USDJPY every 20th bar for ``hold`` bars: a test strategy defined in memory."""

    claim = "a test idea defined in memory"
    source = "tests"
    symbols = ("USDJPY",)

    hold: int = param(5, min=1, max=19)

    def signals(self, data, events):
        close = data.close("USDJPY")
        entries = pd.Series(np.arange(len(close)) % 20 == 0, index=close.index)
        ent, ext = hold_for(entries, self.hold)
        return Signals(close=close, entries=ent, exits=ext)


@pytest.fixture(scope="module")
def market():
    return make_market(["USDJPY"], start="2019-01-01", end="2021-12-31")


def test_public_names_are_lazy_and_listed():
    import subprocess
    import sys

    code = "import sys, jpmacro_bt as jb; print(sorted(m for m in ('pandas', 'vectorbt', 'quantstats') if m in sys.modules)); print('run' in dir(jb), 'sweep' in dir(jb))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True True"


def test_run_of_an_in_memory_class_trades_its_signals(market):
    r = jb.run(EveryTwentieth, hold=3, data=market)
    close = market.close("USDJPY")
    # Independent computation: hold 3 bars from every 20th bar, in at the close and out 3 closes later, paying the FX
    # defaults per side (slippage 0.5 bp on the price, fees 0.2 bp on the value), all of the 100,000 cash invested.
    n_entries = sum(1 for i in range(0, len(close), 20) if i + 3 < len(close))
    assert len(r.trades[r.trades["status"] == "closed"]) == n_entries
    first = r.trades.iloc[0]
    gross = close.iloc[3] / close.iloc[0]
    assert first["entry_price"] == pytest.approx(close.iloc[0] * (1 + 0.00005), rel=1e-12)
    assert first["pnl"] / 100_000 == pytest.approx(gross * (1 - 0.00005) / (1 + 0.00005) * (1 - 0.00002) / (1 + 0.00002) - 1, rel=1e-9)
    stats = r.stats()
    assert list(stats.columns) == ["every_twentieth", "benchmark: cash"]
    assert stats.loc["trades", "every_twentieth"] == len(r.trades)
    assert stats.loc["total return", "every_twentieth"] == pytest.approx((1 + r.returns["strategy"]).prod() - 1, rel=1e-12)


def test_parameters_are_checked_like_the_cli(market):
    with pytest.raises(StrategyError, match="hold"):
        jb.run(EveryTwentieth, hold=50, data=market)
    with pytest.raises(StrategyError, match="unknown parameter 'hodl'.*did you mean hold"):
        jb.run(EveryTwentieth, hodl=3, data=market)
    with pytest.raises(StrategyError, match="not a Strategy subclass"):
        jb.run(dict, data=market)


def test_save_writes_the_cli_folder_and_records_a_trial(tmp_path, market):
    from jpmacro_bt.research.ledger import trial_count

    r = jb.run(EveryTwentieth, data=market)
    folder = r.save(tmp_path, tearsheet=False)
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "metrics.json", "returns.csv", "trades.csv"]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["strategy"]["sharpe"] == pytest.approx(r.stats().loc["Sharpe", "every_twentieth"], rel=1e-12)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["strategy"]["file"] is None and len(manifest["strategy"]["file_sha256"]) == 64
    assert trial_count("every_twentieth") == 1


def test_plot_and_html_show_the_run(market):
    r = jb.run(EveryTwentieth, data=market)
    fig = r.plot()
    assert len(fig.axes) == 3 and fig.axes[0].get_title().startswith("every_twentieth")
    # Entries are drawn at the entry closes (a scatter per direction and side).
    offsets = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    assert len(offsets) == len(r.trades) + (r.trades["status"] == "closed").sum()
    page = r._repr_html_()
    assert "<table>" in page and "every_twentieth" in page and "Sharpe" in page


def test_sweep_and_compare(market):
    s = jb.sweep(EveryTwentieth, hold=range(2, 6), data=market, record=False, bootstrap=0)
    assert list(s.table["hold"]) == [2, 3, 4, 5] and s.best["hold"] in (2, 3, 4, 5)
    best_row = s.table[s.table["rank"] == 1].iloc[0]
    single = jb.run(EveryTwentieth, hold=int(best_row["hold"]), data=market)
    assert best_row["sharpe"] == pytest.approx(single.stats().loc["Sharpe", "every_twentieth"], rel=1e-9)
    c = jb.compare([single, jb.run(EveryTwentieth, hold=2, data=market)])
    assert c.table.shape == (2, 9)
    assert not math.isnan(c.correlation.iloc[0, 1])


def test_portfolio_weights_and_member_parameters(market):
    with pytest.raises(StrategyError, match="ID__NAME"):
        jb.run([EveryTwentieth, EveryTwentieth], hold=3, data=market)


def test_the_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "boj_hike_long_jpy" in html and "<table" in html
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the figure drew
