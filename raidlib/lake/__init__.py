"""The lake: one object over local folders or S3, plus the paths every layer uses (CONTRACT §3)."""

from __future__ import annotations

from raidlib.lake import layout
from raidlib.lake.errors import LakeDataError, LakeWriteError
from raidlib.lake.lake import Lake
from raidlib.lake.preflight import LakeStorageError

__all__ = ["Lake", "LakeDataError", "LakeStorageError", "LakeWriteError", "layout"]
