"""What a silver step did: rows in, added, deduplicated and quarantined, and where time went."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class SilverRunReport:
    """What one incremental step did. ``rows_in == rows_added + rows_quarantined + duplicates_removed``."""

    batches: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_added: int = 0
    duplicates_removed: int = 0
    rewritten_after_interruption: int = 0
    """Of ``duplicates_removed``: rows of this step's own batches already in silver, written by
    a run of the same batches that was interrupted before it marked them processed."""
    rows_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    late_events: int = 0
    partitions_written: list[str] = field(default_factory=list)
    quarantine_files: list[str] = field(default_factory=list)
    backend: str = ""
    """Backend(s) that did the work, e.g. ``cudf``, ``pandas`` or ``cudf + pandas (…why…)``."""
    read_by_pyarrow: list[str] = field(default_factory=list)
    """On a GPU backend: batches whose JSON the GPU reader handed to pyarrow (see bronze_gpu)."""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Wall time per stage (read, prepare, rebuild, write, quarantine, mark): where a slow
    step spends it, without a profiler."""

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the wall time of the ``with`` body to ``stage_seconds[stage]``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + elapsed

    def stage_summary(self) -> str:
        """``read 1.2 s, prepare 0.4 s, …`` in stage order."""
        return ", ".join(f"{stage} {s:.2f} s" for stage, s in self.stage_seconds.items())


def combine_reports(reports: list[SilverRunReport]) -> SilverRunReport:
    """Several reports (chunks, or concurrent groups) as one; backends listed once each."""
    total = SilverRunReport()
    for r in reports:
        total.batches += r.batches
        total.rows_in += r.rows_in
        total.rows_added += r.rows_added
        total.duplicates_removed += r.duplicates_removed
        total.rewritten_after_interruption += r.rewritten_after_interruption
        total.rows_quarantined += r.rows_quarantined
        total.late_events += r.late_events
        total.partitions_written += r.partitions_written
        total.quarantine_files += r.quarantine_files
        total.read_by_pyarrow += r.read_by_pyarrow
        for reason, n in r.quarantined_by_reason.items():
            total.quarantined_by_reason[reason] = total.quarantined_by_reason.get(reason, 0) + n
        for stage, seconds in r.stage_seconds.items():
            total.stage_seconds[stage] = total.stage_seconds.get(stage, 0.0) + seconds
    total.backend = " + ".join(dict.fromkeys(r.backend for r in reports if r.backend))
    return total


def interrupted_note(rewritten: int) -> str:
    """`` (N of them written by an interrupted run)`` after a duplicates count, or ``""``."""
    return f" ({rewritten:,} of them written by an interrupted run)" if rewritten else ""
