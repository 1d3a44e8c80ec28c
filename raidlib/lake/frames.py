"""Arrow tables ⇄ backend frames, following the in-memory convention of :mod:`raidlib.backend`.

One place decides how declared Arrow types look in memory, so a frame read from Parquet and a
frame cast from bronze have the same dtypes and can be concatenated without surprises.

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
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from raidlib.backend import Backend, is_cudf

_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def strip_utc(table: pa.Table) -> pa.Table:
    """Timestamp columns with a time zone → tz-naive timestamps holding the same UTC instant."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = pa.timestamp(field.type.unit)
            table = table.set_column(i, pa.field(field.name, naive), table.column(i).cast(naive))
    return table


def table_to_frame(table: pa.Table, backend: Backend) -> Any:
    """An Arrow table → a frame on ``backend`` in the in-memory convention (see module doc)."""
    table = strip_utc(table).replace_schema_metadata(None)
    if backend.is_gpu:
        return backend.xdf.DataFrame.from_arrow(table)
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get, self_destruct=True)


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
    n = table.num_rows
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
        else:
            column = pa.nulls(n, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def frame_to_pandas(frame: Any) -> pd.DataFrame:
    """A host copy with exactly the pandas path's dtypes (see module doc); pandas frames as is.

    Not cuDF's own ``to_pandas()``: by default it turns an int64 column holding nulls into
    float64, which silently rounds integers past 2**53 (cuDF ``DataFrame.to_pandas``,
    ``nullable=False``). Going through Arrow keeps ``Int64``/``boolean`` as the pandas path has
    them. The index is not kept.
    """
    if is_cudf(frame):
        return frame.to_arrow(preserve_index=False).to_pandas(types_mapper=_PANDAS_TYPES.get)
    return frame
