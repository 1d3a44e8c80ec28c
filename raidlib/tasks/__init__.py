"""Prefect tasks: thin wrappers around raidlib library calls (retries on I/O, logging, artifacts).

Flows in ``flows/`` only orchestrate these; the work itself lives in :mod:`raidlib.silver`,
:mod:`raidlib.gold` and :mod:`raidlib.lake`, usable without Prefect.
"""

from raidlib.tasks.logs import forward_library_logs

# Wherever these tasks run, raidlib's own log lines (GPU fallbacks, chunking) reach the run's log.
forward_library_logs()
