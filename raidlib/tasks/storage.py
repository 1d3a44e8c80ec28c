"""The first task of every flow that touches the lake: are its S3 buckets there and ours?"""

from __future__ import annotations

import os
from collections.abc import Sequence

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from raidlib.lake import Lake
from raidlib.lake.lake import Layer
from raidlib.lake.preflight import LAYERS
from raidlib.settings import Settings


@task(name="check-lake-storage", cache_policy=NO_CACHE)
def check_lake_storage(
    settings: Settings, layers: Sequence[Layer] = LAYERS, *, reads: Layer | None = None
) -> None:
    """Fail the run before any work when a layer's S3 bucket is missing, refuses the
    credentials or its endpoint does not answer (``LakeStorageError``, naming the setting).

    Not retried: the settings must change. Without it a mistyped bucket reads as an empty
    lake and the run succeeds having done nothing. Local roots cost nothing; the one the flow
    ``reads`` gets a warning when it does not exist (a mistyped ``lake`` parameter).
    """
    lake = Lake.from_settings(settings)
    lake.check_storage(layers)
    if reads is not None and not lake.is_remote(reads) and not os.path.isdir(lake.root(reads)):
        get_run_logger().warning(
            "%s does not exist, so there is nothing to read there (a mistyped lake parameter "
            "or RAIDLIB_%s_ROOT?)",
            os.path.abspath(lake.root(reads)),
            reads.upper(),
        )
