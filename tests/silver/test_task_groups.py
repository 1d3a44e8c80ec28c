"""How a silver flow splits its batches into tasks: groups that share no raid, packed into
GPU-sized tasks only where cuDF tasks take turns in the flow's process."""

from __future__ import annotations

from raidlib.backend import Backend, resolve_backend
from raidlib.gpu_memory import MemoryPolicy
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.tasks.silver import independent_groups, task_groups

PANDAS = resolve_backend("pandas")
GPU = Backend("cudf", PANDAS.xdf, "fake GPU backend for tests")
POLICY = MemoryPolicy(usable_fraction=1.0, bytes_per_bronze_event=1, bytes_per_bronze_byte=1)
"""One device byte per event, all of the free memory usable: budgets in events."""


def batch(name: str, *raids: str, events: int = 10) -> BronzeBatch:
    paths = tuple(f"/lake/bronze/raid_id={r}/ingest_date=2026-03-01/{name}.jsonl" for r in raids)
    return BronzeBatch(name, paths, events=events)


def names(groups: list[list[BronzeBatch]]) -> list[list[str]]:
    return [[b.batch_id for b in group] for group in groups]


def test_batches_sharing_a_raid_stay_together_in_landing_order():
    batches = [batch("b1", "r1"), batch("b2", "r2"), batch("b3", "r1", "r3"), batch("b4", "r3")]
    batches.append(batch("b5", "r4"))
    assert names(independent_groups(batches)) == [["b1", "b3", "b4"], ["b2"], ["b5"]]


def test_on_a_gpu_taking_turns_small_groups_share_a_task_up_to_the_free_memory():
    batches = [batch(f"b{i}", f"r{i}", events=10) for i in range(5)]

    def card(free: int):
        return lambda: (free, 1_000)

    def split(backend: Backend, free: int | None, *, one_at_a_time: bool = True):
        probe = card(free) if free is not None else lambda: None
        groups = task_groups(
            None, backend, batches, one_at_a_time=one_at_a_time, policy=POLICY, probe=probe
        )
        return names(groups)

    each = [[f"b{i}"] for i in range(5)]
    assert split(GPU, 1_000) == [[f"b{i}" for i in range(5)]]
    assert split(GPU, 25) == [["b0", "b1"], ["b2", "b3"], ["b4"]]
    assert split(GPU, 5) == each  # a group bigger than the card alone: process_batches' concern
    assert split(GPU, None) == [[f"b{i}" for i in range(5)]]  # unknown: one chunk, as in silver
    assert split(PANDAS, 1_000) == each  # pandas runs its tasks side by side
    assert split(GPU, 1_000, one_at_a_time=False) == each  # a cluster spreads them


def test_a_task_reads_its_batches_within_a_count_and_a_size():
    """Counting batches alone let 200 batches of 10,000 events make one task hold ~2.5 GB."""
    from raidlib.tasks.silver import bounded_chunks

    def sized(name: str, mib: float | None) -> BronzeBatch:
        json_bytes = None if mib is None else int(mib * 2**20)
        return BronzeBatch(name, (f"/b/{name}.jsonl",), json_bytes=json_bytes)

    batches = [sized("a", 100), sized("b", 300), sized("c", 200), sized("d", 700)]
    batches += [sized("e", None), sized("f", 1), sized("g", 1)]
    assert names(bounded_chunks(batches, 200, 512 * 2**20)) == [
        ["a", "b"],  # 400 MiB; c would make 600
        ["c"],
        ["d"],  # bigger than the cap: alone
        ["e", "f", "g"],  # e's size is unknown
    ]
    assert names(bounded_chunks(batches, 3, float("inf"))) == [
        ["a", "b", "c"],
        ["d", "e", "f"],
        ["g"],
    ]
    assert bounded_chunks([], 200, 1.0) == []
