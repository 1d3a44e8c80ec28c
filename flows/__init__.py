"""Prefect flows: orchestration only; the work lives in :mod:`raidlib`.

Each file is one flow, runnable as ``python flows/<name>.py`` and deployable by entrypoint
(``flows/<name>.py:<name>``, see ``prefect.yaml``).
"""
