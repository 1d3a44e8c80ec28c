#!/usr/bin/env bash
# Create/update .venv with the dev extras, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# setuptools warns on every editable install of a flat layout ("Editable installation ... be
# careful with folders ... same name as your package"): noise for a user, not a problem here.
PYTHONWARNINGS=ignore::UserWarning .venv/bin/python -m pip install -q -e '.[dev]'
# pytest-xdist: one worker per core, at most 4 (each may start its own Prefect test server);
# the e2e tests share one stack, so they stay together on one worker (--dist loadgroup).
# RAIDLIB_TEST_WORKERS=0 runs everything in this process; later -n/--dist arguments win.
exec .venv/bin/python -m pytest -n "${RAIDLIB_TEST_WORKERS:-auto}" --maxprocesses 4 \
    --dist loadgroup "$@"
