"""Batch mode: the scenario run many times over seeds, each run folded into mergeable tallies, and the simulated baseline they give."""
