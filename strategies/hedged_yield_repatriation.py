"""Long JPY (and/or short Treasuries) when FX-hedged Treasuries stop paying a yen investor.

Claim [SOC]: higher JGB yields make domestic bonds pay; after FX hedging,
Treasuries stop making sense and Japanese capital goes home, buying yen and
selling Treasuries. The hedged pickup, in basis points, is

``pickup = (UST10Y - (r_USD - r_JPY)) - JGB10Y``

where the hedge cost ``r_USD - r_JPY`` is the short-rate gap: policy rates
(``short_rates="policy"``: FOMC and BoJ calendars, back-filled before they
start from ``calendars/policy_rates.csv``; the Fed rate is the upper bound of
its range) or the 2-year yields as proxies (``"2y"``: UST2Y - JGB2Y). The
cross-currency basis, which adds to a yen investor's hedge cost, is ignored.
When the pickup falls below ``threshold_bp``, go long JPY (short USDJPY),
short TLT, or both (half of equity each); leave when it recovers above
``threshold_bp + band_bp``. With ``carry`` (the default) USDJPY is priced
carry-inclusive (``jpmacro_bt.carry``): the long-JPY position pays the same
short-rate gap that makes the hedge expensive, which is the other side of the
claim.

Timing: the pickup is read on USDJPY's bars (ECB fixing, 14:15 Frankfurt) by
the as-of rule of ``MarketData.panel``: that day's JGB closes, the previous
New York close of the Treasury yields, the policy rates announced by then.
TLT trades at its own close that day, after the fixing.

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: USDJPY, UST10Y, JGB10Y; UST2Y and JGB2Y for ``short_rates="2y"``;
TLT for ``trade`` TLT or both; BoJ and FOMC calendars. ``needs()`` loads
exactly these, the traded symbol first. For ``trade="both"`` each leg pays its
own asset class's default costs: USDJPY FX fees and no borrow (its carry is in
its price), the TLT short the rates fees and borrow, unless
--fees/--slippage/--borrow sets one for both.
Benchmark: always long JPY (the inverse of the USDJPY price traded) for
``trade="USDJPY"``, else cash.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.carry import rate_changes, rates_on_bars
from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import align_flags, buy_and_hold, latch, needed, state_on, to_basket, to_target_weights, traded_price
from jpmacro_bt.strategy import Signals, Strategy, param

SHORT_RATES = ("policy", "2y")
TRADES = ("USDJPY", "TLT", "both")


@dataclass(frozen=True)
class HedgedYieldRepatriation(Strategy):
    claim = "When FX-hedged Treasuries yield less than JGBs, Japanese money goes home: long JPY"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = ("USDJPY", "UST10Y", "JGB10Y")
    calendars = ("boj", "fomc")

    short_rates: str = param("policy", help="hedge cost from 'policy' rates (Fed, BoJ) or '2y' yields (UST2Y-JGB2Y)", grid=SHORT_RATES, choices=SHORT_RATES)
    threshold_bp: float = param(0.0, min=-500.0, max=500.0, help="enter when the hedged pickup is below this, basis points", grid=(-50.0, 0.0, 50.0))
    band_bp: float = param(25.0, min=0.0, max=500.0, help="leave when the pickup is back above threshold + band, basis points", grid=(0.0, 25.0, 50.0))
    trade: str = param("USDJPY", help="'USDJPY' (short it = long JPY), 'TLT' (short) or 'both' (half each)", grid=TRADES, choices=TRADES)
    carry: bool = param(True, help="price USDJPY with the US-Japan policy-rate carry (true) or spot only (false)", grid=())

    def _inputs(self) -> tuple[str, ...]:
        """What the pickup is computed from, USDJPY (its calendar) first."""
        return ("USDJPY", "UST10Y", "JGB10Y", *(("UST2Y", "JGB2Y") if self.short_rates == "2y" else ()))

    def needs(self) -> tuple[str, ...]:
        traded = {"USDJPY": ("USDJPY",), "TLT": ("TLT",), "both": ("USDJPY", "TLT")}[self.trade]
        return needed(*traded, *self._inputs())

    def pickup_bp(self, data, events) -> pd.Series:
        """Hedged UST10Y minus JGB10Y on USDJPY's bars, basis points."""
        panel = data.panel(self._inputs(), calendar="USDJPY")
        if self.short_rates == "policy":
            bar_close = data.bar_close("USDJPY").reindex(panel.index)
            gap = rates_on_bars(rate_changes("USD", events), bar_close) - rates_on_bars(rate_changes("JPY", events), bar_close)
        else:
            gap = panel["UST2Y"] - panel["JGB2Y"]
        return ((panel["UST10Y"] - gap - panel["JGB10Y"]) * 100.0).dropna().rename("pickup_bp")

    def signals(self, data, events) -> Signals:
        pickup = self.pickup_bp(data, events)
        state = latch(pickup < self.threshold_bp, pickup > self.threshold_bp + self.band_bp)
        fx = self._usdjpy(data, events)
        fx_state = state_on(state, fx.index)
        if self.trade == "USDJPY":
            return Signals(close=fx, short_entries=fx_state, short_exits=~fx_state)
        tlt = data.close("TLT")
        seen = align_flags(data, "TLT", {"state": (state, data.bars["USDJPY"].close)}, max_fill=10)["state"]
        tlt_state = state_on(seen, tlt.index)
        if self.trade == "TLT":
            return Signals(close=tlt, short_entries=tlt_state, short_exits=~tlt_state)
        weights = {s: to_target_weights(-st.astype(float), 0.5) for s, st in (("USDJPY", fx_state), ("TLT", tlt_state))}
        close, target = to_basket({"USDJPY": fx, "TLT": tlt}, weights)
        return Signals(close=close, target_weights=target)

    def _usdjpy(self, data, events) -> pd.Series:
        return traded_price(data, "USDJPY", events, carry=self.carry)

    def benchmark(self, data) -> pd.Series:
        if self.trade != "USDJPY":
            return super().benchmark(data)
        return buy_and_hold(1.0 / self._usdjpy(data, load_events()), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return "long JPY" if self.trade == "USDJPY" else "cash"
