"""Short long-dated Treasuries when the long end of the JGB curve sells off.

Claim [RB]: the real stress is the long end of the JGB curve (30y and 40y at
records around the snap election), spilling over, modestly, into long Treasury
yields. When ``signal`` (JGB30Y or JGB40Y) rises more than ``rise_bp`` basis
points over ``bars`` of its own bars, short long-duration Treasuries at their
next close and hold ``hold_days`` bars.

The instrument is TLT (a price) or, with ``instrument="synthetic"``, a
constant-maturity par bond built from the UST30Y yield by
``jpmacro_bt.bonds.par_bond_index`` (carry plus duration and convexity).
Timing: JGB yields close in Tokyo, TLT and Treasury yields in New York; the
JGB move reaches New York through the as-of rule of ``MarketData.panel``, each
JGB close used once, on the first New York close after it.

Source: a rebuttal of the "Japan dumps Treasuries" thread (late January 2026).
Requires: the instrument's close (TLT, or the UST30Y yield for the synthetic
bond) and the ``signal`` yield (JGB30Y, or JGB40Y from 2007); ``needs()``
loads only these, so a run starts with what its parameters use.
Benchmark: cash (the strategy is flat most of the time).
"""

from __future__ import annotations

from dataclasses import dataclass

from jpmacro_bt.bonds import par_bond_index
from jpmacro_bt.indicators import align, change_bp
from jpmacro_bt.strategy import Signals, Strategy, hold_for, param

SIGNALS = ("JGB30Y", "JGB40Y")
INSTRUMENTS = ("TLT", "synthetic")


@dataclass(frozen=True)
class JgbSpilloverShortUst(Strategy):
    claim = "A sell-off in long JGBs spills over into long Treasuries: short them after a sharp rise in JGB30Y"
    source = "[RB] rebuttal of the 'Japan dumps Treasuries' thread, late January 2026"
    symbols = ("TLT", "JGB30Y")

    signal: str = param("JGB30Y", help="JGB yield whose rise fires: JGB30Y or JGB40Y (from 2007)", grid=SIGNALS, choices=SIGNALS)
    bars: int = param(5, min=1, max=60, help="look-back of the JGB move, JGB bars", grid=(1, 5, 10, 20))
    rise_bp: float = param(15.0, min=1.0, max=200.0, help="rise that fires, basis points", grid=(10.0, 15.0, 25.0))
    hold_days: int = param(10, min=1, max=250, help="bars held after entry", grid=(5, 10, 20))
    instrument: str = param("TLT", help="what is shorted: TLT, or 'synthetic' (30-year par bond from UST30Y)", grid=(), choices=INSTRUMENTS)

    def needs(self) -> tuple[str, ...]:
        return ("TLT" if self.instrument == "TLT" else "UST30Y", self.signal)

    def _traded(self, data):
        if self.instrument == "TLT":
            return "TLT", data.close("TLT")
        return "UST30Y", par_bond_index(data.close("UST30Y"), 30).rename("UST30Y_par")

    def signals(self, data, events) -> Signals:
        calendar, close = self._traded(data)
        rise = change_bp(data.close(self.signal), self.bars)
        seen = align(data, calendar, {"rise": (rise, data.bars[self.signal].close)}, max_fill=0)["rise"]
        fired = (seen > self.rise_bp).reindex(close.index, fill_value=False)
        entries, exits = hold_for(fired, self.hold_days)
        return Signals(close=close, short_entries=entries, short_exits=exits)
