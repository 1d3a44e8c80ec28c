#!/usr/bin/env bash
# Create/update .venv with the dev extras, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# setuptools warns on every editable install of a flat layout ("Editable installation ... be
# careful with folders ... same name as your package", pypa/setuptools#3569): noise for a
# user, not a problem here.
PYTHONWARNINGS=ignore::UserWarning .venv/bin/python -m pip install -q -e '.[dev]'
# pytest-xdist: one worker per CPU this process may really use (its affinity, and a cgroup
# quota where one is set: a container can see more CPUs than it may run on), at most 4. More
# workers than CPUs was slower here and pushed the demo test past its timeout. The e2e tests
# share one stack, so they stay together on one worker (--dist loadgroup).
# RAIDLIB_TEST_WORKERS=0 runs everything in this process; later -n/--dist arguments win.
workers="${RAIDLIB_TEST_WORKERS:-$(.venv/bin/python - <<'PY'
import math
import os

cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
try:
    quota, period = open("/sys/fs/cgroup/cpu.max").read().split()
    if quota != "max":
        cpus = min(cpus, max(1, math.floor(int(quota) / int(period))))
except (OSError, ValueError):
    pass
print(min(cpus, 4))
PY
)}"
exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
