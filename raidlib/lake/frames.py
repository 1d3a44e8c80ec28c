"""Arrow tables ⇄ backend frames, following the in-memory convention of :mod:`raidlib.backend`.

One place decides how declared Arrow types look in memory, so a frame read from Parquet and a
frame cast from bronze have the same dtypes and can be concatenated without surprises: this
module, through :func:`table_to_frame` (tables) and :func:`memory_dtype` (casting columns).

pandas (``Backend.name == "pandas"``):

========================  =============================================
Arrow (declared)          pandas dtype in memory
========================  =============================================
``timestamp[us, UTC]``    ``datetime64[us]``, tz-naive, holding UTC
``string``                ``str`` (pandas 3 default string dtype, NaN for null)
``int64``                 ``Int64`` (nullable)
``bool``                  ``boolean`` (nullable)
``float64``               ``float64`` (NaN for null)
``list<string>``          ``object`` holding NumPy arrays of strings (or None)
========================  =============================================

cuDF: ``cudf.DataFrame.from_arrow`` (native nullable ints/bools/lists; timestamps tz-naive us).

Timestamps are tz-naive inside the pipeline because cuDF's time-zone support is partial; the
public readers (:mod:`raidlib.read`) mark them UTC again with :func:`with_utc`, and
:func:`without_utc` takes such frames back.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from raidlib.backend import PANDAS_ARROW_TYPES, Backend, is_cudf


def strip_utc(table: pa.Table) -> pa.Table:
    """Timestamp columns with a time zone → tz-naive timestamps holding the same UTC instant."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = pa.timestamp(field.type.unit)
            table = table.set_column(i, pa.field(field.name, naive), table.column(i).cast(naive))
    return table


def memory_dtype(arrow_type: pa.DataType, backend: Backend) -> Any:
    """The in-memory dtype of a declared Arrow type on ``backend`` (the table above), as a
    column is cast to it; ``None``: kept as it is (lists)."""
    if pa.types.is_timestamp(arrow_type):
        return "datetime64[us]"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "str"
    if pa.types.is_int64(arrow_type):
        return "int64" if backend.is_gpu else PANDAS_ARROW_TYPES[pa.int64()]
    if pa.types.is_boolean(arrow_type):
        return "bool" if backend.is_gpu else PANDAS_ARROW_TYPES[pa.bool_()]
    if pa.types.is_float64(arrow_type):
        return "float64"
    return None


def table_to_frame(table: pa.Table, backend: Backend) -> Any:
    """An Arrow table → a frame on ``backend`` in the in-memory convention (see module doc)."""
    table = strip_utc(table).replace_schema_metadata(None)
    if backend.is_gpu:
        return backend.xdf.DataFrame.from_arrow(table)
    return table.to_pandas(types_mapper=PANDAS_ARROW_TYPES.get, self_destruct=True)


def null_frame(fields: list[pa.Field], n: int, backend: Backend) -> Any:
    """``n`` rows of all-null columns of the declared types, as a read would give them.

    Built from Arrow nulls rather than by reindexing an empty column, which on cuDF is a join
    and turns an empty int64 column into float64.
    """
    return table_to_frame(pa.table({f.name: pa.nulls(n, f.type) for f in fields}), backend)


def frame_to_table(frame: Any, schema: pa.Schema) -> pa.Table:
    """A frame → an Arrow table with exactly ``schema``'s columns, order and types.

    Columns missing from ``frame`` become nulls; tz-naive timestamps are read as UTC (the
    in-memory convention) and get the schema's time zone attached. Raises ``pa.ArrowInvalid``
    when a value does not fit its declared type.
    """
    if is_cudf(frame):
        table = frame.to_arrow(preserve_index=False)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    return conform_table(table, schema)


def conform_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns, order and types; a column it lacks (a file
    written before the schema grew, a frame without it) becomes nulls of its type."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
        else:
            column = pa.nulls(table.num_rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _timestamp_columns(frame: Any, *, aware: bool) -> list[str]:
    """Names of the frame's timestamp columns that are (``aware``) or are not tz-aware."""
    return [
        name
        for name, dtype in frame.dtypes.items()
        if getattr(dtype, "kind", "") == "M" and (getattr(dtype, "tz", None) is not None) == aware
    ]


def with_utc(frame: Any) -> Any:
    """The frame with its tz-naive timestamps marked UTC, as the Parquet files declare them
    (for readers handing frames to users, who compare them with aware datetimes)."""
    naive = _timestamp_columns(frame, aware=False)
    return frame.assign(**{c: frame[c].dt.tz_localize("UTC") for c in naive}) if naive else frame


def without_utc(frame: Any) -> Any:
    """The frame in the in-memory convention: tz-aware timestamps as tz-naive UTC."""
    aware = _timestamp_columns(frame, aware=True)
    return frame.assign(**{c: frame[c].dt.tz_convert(None) for c in aware}) if aware else frame
