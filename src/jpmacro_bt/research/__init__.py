"""Research: grids, sweeps, walk-forward, statistics, the trial ledger, event studies, claims."""
