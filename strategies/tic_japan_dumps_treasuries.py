"""Short Treasuries when TIC shows Japan selling them, once the figure is public.

Claim [SOC]/[CF]: Japan, the largest foreign holder of Treasuries, brings its
money home and sells them, pushing US yields up. [RB] disputes it: TIC shows
Japan's holdings steady near $1.2T. This tests the claim as a trade: when
Japan's holdings in the TIC "Major Foreign Holders" table have fallen by more
than ``drop`` over ``months`` monthly figures, short TLT at the first close
after that figure was published and hold ``hold_days`` bars.

Timing, modelled explicitly: a month's figure (dated at the month end) is
public only ``release_lag_days`` calendar days later (TIC is released around
the 15th-18th of the second month after, 16:00 New York: about 45-50 days;
the default 50 is the late end). The release is stamped 18:00 New York, after
TLT's close, so the first tradable close is the next day's. Each release is
used once. Revisions are a residual look-ahead: the loaded history holds
revised values where the Treasury revised a month, not the first print.

Source: [SOC] social-media thread (January 2026) and [CF] Capital Flows
Research (2026-01-09), disputed by [RB] (late January 2026).
Requires: TLT daily close; TIC_JAPAN_UST (Japan's holdings, USD bn, monthly).
Benchmark: cash.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.indicators import align
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param

RELEASED_AT = "18:00 America/New_York"


@dataclass(frozen=True)
class TicJapanDumpsTreasuries(Strategy):
    claim = "Japan is dumping Treasuries: short TLT when TIC shows Japan's holdings falling, from the day the figure is public"
    source = "[SOC]/[CF] 'Japan sells Treasuries', disputed by [RB] (TIC holdings steady near $1.2T), January 2026"
    symbols = ("TLT", "TIC_JAPAN_UST")

    months: int = param(3, min=1, max=24, help="look-back of the fall in holdings, monthly figures", grid=(1, 3, 6))
    drop: float = param(0.03, min=0.001, max=0.5, help="fall in holdings that fires, fraction (0.03 = 3 %)", grid=(0.02, 0.03, 0.05))
    release_lag_days: int = param(50, min=0, max=120, help="calendar days from the month end to the figure's release (a fact about TIC, not a knob)", grid=())
    hold_days: int = param(20, min=1, max=250, help="bars held after entry", grid=(10, 20, 60))

    def released(self, data) -> pd.Series:
        """Change in holdings over ``months`` figures (fraction), indexed by the date it became public."""
        holdings = data.close("TIC_JAPAN_UST")
        change = holdings / holdings.shift(self.months) - 1.0
        return change.set_axis(change.index + pd.Timedelta(days=self.release_lag_days)).rename("change")

    def signals(self, data, events) -> Signals:
        close = data.close("TLT")
        seen = align(data, "TLT", {"change": (self.released(data), RELEASED_AT)}, max_fill=0)["change"]
        fired = (seen < -self.drop).reindex(close.index, fill_value=False)
        entries, exits = hold_for(fired, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits)
