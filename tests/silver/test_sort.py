"""Silver's row order: Arrow computes it for pandas, and it must be ``sort_values``' order."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from raidlib.silver.build import SORT_KEY, sort_silver

_text = st.one_of(st.none(), st.sampled_from(["", "a", "b", "B", "raid002", "é", "a\x00"]))
_when = st.one_of(st.none(), st.datetimes(datetime(2026, 1, 1), datetime(2026, 1, 3)))
_row = st.tuples(_text, _text, _when, _text, st.booleans())


@given(st.lists(_row, max_size=40))
def test_order_is_sort_values_order_nulls_last_and_stable(rows: list[tuple]) -> None:
    frame = pd.DataFrame(
        {
            "raid_id": pd.Series([r[0] for r in rows], dtype="str"),
            "event_date": pd.Series([r[1] for r in rows], dtype="str"),
            "timestamp": pd.Series([r[2] for r in rows], dtype="datetime64[us]"),
            "event_id": pd.Series([r[3] for r in rows], dtype="str"),
            "position": range(len(rows)),  # ties keep their input order
        },
        index=range(100, 100 + len(rows)),
    )
    expected = frame.sort_values(list(SORT_KEY), kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_silver(frame), expected)

    # Rows dropped in the same step (superseded copies) are simply absent from that order.
    drop = pd.Series([r[4] for r in rows], index=frame.index, dtype=bool)
    expected = frame[~drop].sort_values(list(SORT_KEY), kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_silver(frame, drop=drop), expected)
