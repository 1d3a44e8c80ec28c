"""The first task of every flow that touches the lake: are its S3 buckets there and ours?"""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from raidlib.lake import Lake
from raidlib.lake.lake import Layer
from raidlib.lake.preflight import LAYERS
from raidlib.settings import Settings


@task(name="check-lake-storage", cache_policy=NO_CACHE)
def check_lake_storage(settings: Settings, layers: Sequence[Layer] = LAYERS) -> None:
    """Fail the run before any work when a layer's S3 bucket is missing, refuses the
    credentials or its endpoint does not answer (``LakeStorageError``, naming the setting).

    Not retried: the settings must change. Without it a mistyped bucket reads as an empty
    lake and the run succeeds having done nothing. Local roots cost nothing.
    """
    Lake.from_settings(settings).check_storage(layers)
