"""Prefect tasks: thin wrappers around raidlib library calls (retries on I/O, logging, artifacts).

Flows in ``flows/`` only orchestrate these; the work itself lives in :mod:`raidlib.silver`,
:mod:`raidlib.gold` and :mod:`raidlib.lake`, usable without Prefect.
"""
