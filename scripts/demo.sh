#!/usr/bin/env bash
# Create/update .venv, then run the whole pipeline end to end on the embedded default:
# simulated raids → real receiver on 127.0.0.1 → bronze → silver → gold in ./lake (pandas,
# or cuDF when a GPU is usable), and print the gold summary.
set -euo pipefail
# Ctrl-C while pip installs: say "interrupted" with 130, not pip's exit 1 (the demo script
# itself, run by exec below, stops at once with 130).
trap 'echo "interrupted" >&2; exit 130' INT
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# setuptools warns on every editable install of a flat layout ("Editable installation ... be
# careful with folders ... same name as your package", pypa/setuptools#3569): noise for a
# user, not a problem here.
PYTHONWARNINGS=ignore::UserWarning .venv/bin/python -m pip install -q -e .
# Plain-Python flow runs use Prefect's ephemeral API in ./.raidlib/prefect (no server needed).
export PREFECT_HOME="${PREFECT_HOME:-$PWD/.raidlib/prefect}"
mkdir -p "$PREFECT_HOME"  # Prefect creates only the last folder of the path itself
# The first start creates and migrates that database: allow more than Prefect's default 20 s
# on a slow or busy machine.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="${PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS:-180}"
export PREFECT_LOGGING_LEVEL="${PREFECT_LOGGING_LEVEL:-WARNING}"
exec .venv/bin/python flows/demo.py "$@"
