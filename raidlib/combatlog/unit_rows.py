"""The *unit* rows raidlib maps (damage, heal, energize, cast success), the bulk of a log:
split with Arrow kernels, their advanced block width derived per row from the field count, and
the needed fields gathered with ``take`` on the flattened field array
(:mod:`raidlib.combatlog.unit_fields`) — no Python per row — then credited to pets' owners."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.layouts import NAME_FIELDS, UNIT_EVENTS
from raidlib.combatlog.owners import attribute_to_owners, learn_owners, learn_owners_outside
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import DatedLines, Encounter, ParserState
from raidlib.combatlog.tokenize import split_fields
from raidlib.combatlog.unit_fields import ROW_SCHEMA, ROW_TABLE_SCHEMA, gather_kind
from raidlib.combatlog.values import np_bool

ROW_COLUMNS = (*(name for name, _ in ROW_SCHEMA), "actor_guid", "actor_name", "pet_name")


def empty_rows() -> pd.DataFrame:
    """No unit rows, with the columns and dtypes of :func:`unit_rows`' frame."""
    rows = ROW_TABLE_SCHEMA.empty_table().to_pandas()
    for name in ("actor_guid", "actor_name", "pet_name"):
        rows[name] = pd.Series(dtype="str")
    return rows


def unit_rows(
    chunk: DatedLines, idx: np.ndarray, state: ParserState, report: ParseReport, scope: str
) -> pd.DataFrame:
    """The unit rows at ``idx`` of a chunk (columns :data:`ROW_COLUMNS`, in line order,
    credited to pets' owners), after the scope's filter. Malformed rows go to ``report``."""
    encs = _encounter_of(chunk.numbers[idx], state.encounters)
    if scope == "encounter":
        inside = encs >= 0
        report.skip("outside_encounter", int((~inside).sum()))
        # Owner links must still be learned outside pulls (pets are summoned before them).
        learn_owners_outside(chunk, idx[~inside], state)
        idx, encs = idx[inside], encs[inside]
        if not len(idx):
            return empty_rows()
    sel = pa.array(idx)
    lists, pos, fixed = split_fields(chunk.lines.take(sel), NAME_FIELDS)
    events = chunk.events.take(sel)
    relisted = pos >= len(idx)  # rows re-split after protecting quoted commas
    frames = []
    for event, (kind, prefix) in UNIT_EVENTS.items():
        mask = np_bool(pc.equal(events, event))
        for part in (~relisted, relisted) if fixed else (~relisted,):
            chosen = np.flatnonzero(mask & part)
            if len(chosen):
                frames.append(
                    gather_kind(
                        kind,
                        event,
                        prefix,
                        lists[1] if part is relisted else lists[0],
                        fixed and part is relisted,
                        chosen,
                        pos - len(idx) if part is relisted else pos,
                        chunk.numbers[idx],
                        chunk.ts_ms[idx],
                        encs,
                        state,
                        report,
                    )
                )
    frames = [f for f in frames if f is not None and f.num_rows]
    if not frames:
        return empty_rows()
    table = pa.concat_tables(frames)
    table = table.take(pc.sort_indices(table["line"]))
    rows = table.to_pandas()
    rows["actor_guid"] = rows["src_guid"]
    rows["actor_name"] = rows["src_name"]
    rows["pet_name"] = pd.Series(pd.NA, index=rows.index, dtype="str")
    learn_owners(rows, state)
    attribute_to_owners(rows, state)
    return rows


def _encounter_of(line_numbers: np.ndarray, encounters: list[Encounter]) -> np.ndarray:
    """Index of the encounter each line falls in (START..END inclusive), -1 outside."""
    if not encounters:
        return np.full(len(line_numbers), -1, np.int64)
    starts = np.array([e.start_line for e in encounters], np.int64)
    ends = np.array(
        [e.end_line if e.end_line is not None else np.iinfo(np.int64).max for e in encounters],
        np.int64,
    )
    pos = np.searchsorted(starts, line_numbers, side="right") - 1
    inside = (pos >= 0) & (line_numbers <= ends[np.clip(pos, 0, None)])
    return np.where(inside, pos, -1)
