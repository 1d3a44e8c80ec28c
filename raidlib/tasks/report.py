"""Prefect tasks that read what a run report shows: bronze's totals, and gold of the run's raids."""

from __future__ import annotations

from typing import Any

from prefect import task

from raidlib.backend import resolve_backend
from raidlib.lake import Lake
from raidlib.lake.bronze_batches import summarize_landed_batches
from raidlib.lake.gold_store import read_gold_for_raids
from raidlib.settings import Settings
from raidlib.tasks.retrying import LAKE_IO_RETRIES


@task(name="summarize-bronze", **LAKE_IO_RETRIES)
def summarize_bronze(settings: Settings) -> dict[str, int]:
    """Landed ``batches``, their ``objects`` and ``events``
    (:func:`~raidlib.lake.bronze_batches.summarize_landed_batches`)."""
    return summarize_landed_batches(Lake.from_settings(settings))


@task(name="read-gold-for-raids", **LAKE_IO_RETRIES)
def read_report_gold(settings: Settings, raid_ids: list[str]) -> dict[str, Any]:
    """``summary``, ``stats`` (pandas, rows of ``raid_ids``) and ``players``, as gold stands in
    the lake (:func:`~raidlib.lake.gold_store.read_gold_for_raids`)."""
    return read_gold_for_raids(Lake.from_settings(settings), raid_ids, resolve_backend("pandas"))
