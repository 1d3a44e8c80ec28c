"""pandas posing as cuDF, so the GPU branches' own code runs on machines without a GPU.

These stand-ins check raidlib's plumbing in those branches (a typo there would otherwise hide
behind a pyarrow fallback until a GPU ran it); the cuDF cases of the backend tests check cuDF.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import pyarrow as pa

from raidlib.backend import PANDAS_ARROW_TYPES, Backend


class HostFrame(pd.DataFrame):
    """``cudf.DataFrame`` for the calls the GPU branches make: ``from_arrow``."""

    @classmethod
    def from_arrow(cls, table: pa.Table) -> pd.DataFrame:
        return table.to_pandas(types_mapper=PANDAS_ARROW_TYPES.get)


def posing_as_cudf(**calls: Any) -> Backend:
    """A ``cudf`` backend whose module is pandas, ``HostFrame`` and the given ``calls``."""
    module = SimpleNamespace(
        **{"DataFrame": HostFrame, "Series": pd.Series, "concat": pd.concat, **calls}
    )
    return Backend("cudf", module, "pandas posing as cuDF")  # type: ignore[arg-type]
