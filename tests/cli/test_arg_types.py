"""The options' types take every value at the edges of their documented range, and refuse
the first value outside it, with the reason."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import pytest

from raidlib.cli.arg_types import (
    MAX_BATCH_SIZE,
    MAX_SKILL,
    batch_size,
    int_in,
    iso_datetime,
    port,
    positive_float,
    random_seed,
    rate,
    report_interval,
    skill_factor,
)

EDGES = [
    (rate, ["0", "1"], ["-0.01", "1.01", "nan"]),
    (int_in(1), ["1"], ["0"]),
    (batch_size, ["1", str(MAX_BATCH_SIZE)], ["0", str(MAX_BATCH_SIZE + 1)]),
    (positive_float, ["0.001"], ["0", "-1", "nan"]),
    (report_interval, ["0", "86400"], ["-1", "86401", "inf", "nan"]),
    (skill_factor, ["0.1", str(MAX_SKILL)], ["0", str(MAX_SKILL + 0.1), "inf", "nan"]),
    (port, ["0", "65535"], ["-1", "65536"]),  # 0: the system picks a free port
    (random_seed, ["0"], ["-1"]),  # NumPy takes no negative seed; 0 is the default
]


IDS = ["rate", "count", "batch_size", "positive_float", "report_interval", "skill", "port", "seed"]


@pytest.mark.parametrize(("parse", "taken", "refused"), EDGES, ids=IDS)
def test_each_type_takes_its_edges_and_refuses_what_lies_beyond(
    parse: Any, taken: list[str], refused: list[str]
) -> None:
    for text in taken:
        assert parse(text) == float(text)
    for text in refused:
        with pytest.raises(argparse.ArgumentTypeError, match=f"^{text} is "):
            parse(text)


def test_a_moment_without_an_offset_is_utc() -> None:
    assert iso_datetime("2026-02-16T19:30") == datetime(2026, 2, 16, 19, 30, tzinfo=UTC)
    moment = iso_datetime("2026-02-16T19:30+01:00")
    assert moment.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
