"""Pure functions from results to findings and metrics. No I/O, no network."""
