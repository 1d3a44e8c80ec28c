"""Flow: the incremental medallion run — new bronze → silver → gold."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Literal

from prefect import flow

# Run as a script (`python flows/medallion.py`) or loaded by a Prefect worker from its
# entrypoint, this file's folder — not the project root — is on sys.path; the sibling flows
# are imported as the `flows` package, so put the project root there.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.bronze_to_silver import bronze_to_silver  # noqa: E402
from flows.silver_to_gold import silver_to_gold  # noqa: E402
from raidlib.cli._common import add_backend_option, parse_flow_args  # noqa: E402


@flow(name="medallion", log_prints=True)
def medallion(
    lake: str | None = None,
    backend: Literal["auto", "cudf", "pandas"] | None = None,
) -> dict:
    """Run ``bronze_to_silver`` then ``silver_to_gold`` as subflows (each visible in the UI).

    Only new bronze batches are read and only the raids whose silver changed are rebuilt, so a
    scheduled run with nothing new finishes in seconds and changes nothing.
    """
    silver = bronze_to_silver(lake=lake, backend=backend)
    gold = silver_to_gold(lake=lake, backend=backend)
    return {"silver": silver, "gold": gold}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=medallion.__doc__)
    parser.add_argument("--lake", default=None, help="local lake folder (default ./lake)")
    add_backend_option(parser)
    args = parse_flow_args(parser)
    result = medallion(lake=args.lake, backend=args.backend)
    s, g = result["silver"], result["gold"]
    print(
        f"silver: {s['batches']} batch(es), {s['rows_added']} rows added, "
        f"{s['duplicates_removed']} duplicates removed, {s['rows_quarantined']} quarantined; "
        f"gold: {len(g['raids_built'])} raid(s) rebuilt"
    )
    # Every pull of the raids rebuilt in this run, as a raider reads it.
    from raidlib.console import print_pull_reports

    print_pull_reports(g.get("encounters"), g.get("encounter_stats"))
