"""The simulation engine: a SimPy model over the agency network, in live and batch modes.

- ``sim_engine.live.advance``: advance a running exercise's simulation to the exercise clock;
- ``sim_engine.batch.runs.run_batch``: many replications with every agency simulated, as a ``BatchResult``;
- ``sim_engine.checks.check_runnable``: what the engine refuses before a run starts.

See docs/engine.md.
"""
