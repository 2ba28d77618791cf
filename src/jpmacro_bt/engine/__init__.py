"""Engine: the vectorbt simulation, one run, portfolios and the metrics registry."""
