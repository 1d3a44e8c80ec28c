"""Deliver batches straight into bronze, without a receiver: its checks, the same files.

What :func:`raidlib.client.post_batches` does through a receiver, in this process: each batch is
validated all or nothing as ``POST /events`` validates it, then landed with
:func:`~raidlib.lake.bronze_writer.land_batch`. The outcomes are the client's
:class:`~raidlib.client.SendSummary`, so both ways of delivering report alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from raidlib.client import PostResult, SendSummary
from raidlib.lake.bronze_writer import land_batch
from raidlib.lake.lake import Lake
from raidlib.schemas import EventValidationError, validate_events
from raidlib.schemas.events import DEFAULT_MAX_CLOCK_SKEW_S


class SourcedBatch(Protocol):
    """What :func:`land_batches` needs from a batch (the generator's and combat log's fit)."""

    @property
    def batch_id(self) -> str: ...

    @property
    def events(self) -> list[Any]: ...

    @property
    def source(self) -> str: ...


def land_batches(
    lake: Lake,
    batches: Iterable[SourcedBatch],
    *,
    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S,
    on_result: Callable[[PostResult], None] | None = None,
) -> SendSummary:
    """Validate and land ``batches`` in ``lake``'s bronze layer, one at a time, in order.

    ``batches`` may be lazy: each is consumed as it goes. ``on_result`` is called with each
    batch's result once it is settled. A result (no ``status_code``, one attempt) is
    ``accepted``, ``duplicate`` (the batch had landed: nothing written) or ``rejected`` (an
    event broke a rule, or the batch is not a list of events; ``error`` says which, and
    nothing of it lands), never ``failed``: a storage error is raised, after the batches before
    it landed.

    Args:
        max_clock_skew_s: how far in the future a timestamp may be (the receiver's setting).
    """
    summary = SendSummary()
    for batch in batches:
        n_events = len(batch.events)
        try:
            models = validate_events(batch.events, max_clock_skew_s=max_clock_skew_s)
        except (EventValidationError, ValueError) as exc:
            result = PostResult(batch.batch_id, "rejected", None, n_events, 1, error=str(exc))
        else:
            landed = land_batch(lake, models, batch_id=batch.batch_id, source=batch.source)
            outcome = "duplicate" if landed.duplicate else "accepted"
            result = PostResult(batch.batch_id, outcome, None, n_events, 1)
        summary.results.append(result)
        if on_result is not None:
            on_result(result)
    return summary
