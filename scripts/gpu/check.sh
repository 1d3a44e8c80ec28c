#!/usr/bin/env bash
# Verify the cuDF path on a machine with an NVIDIA GPU: the backend tests, the memory figure the
# GPU issue asks for, and the pandas-vs-cuDF benchmark. Works wherever cuDF imports (a laptop with
# the gpu-cu12 extra) and on an offline machine fed by scripts/gpu/stage.sh (wheels in .gpu-site).
#
# Usage, from anywhere:  bash scripts/gpu/check.sh STEP [STEP ...]
#   install   offline machine only: install .gpu-wheels (cuDF, then raidlib's deps) into .gpu-site
#   probe     nvidia-smi, versions, and the backend `auto` picks (fails unless it is cudf)
#   tests     every backend-parametrised test; fails if any cuDF case was skipped
#             (GPU_TEST_WORKERS pytest-xdist workers, default 4; 0 runs them in one process)
#   memory    1M events in ONE raid through silver and gold: peak GPU memory per step, and a
#             cProfile of that run (profile-cudf-1m-one-raid.txt); fails if Parquet was encoded
#             or decoded by pyarrow instead of the GPU
#   laptop    the memory step again under a ${LAPTOP_MIB:-3500} MiB cap (a 4 GB laptop GPU's free
#             memory): silver must run in GPU-sized chunks with no rerun on pandas, and Parquet
#             stay on the GPU
#   bench     bench_backends at $SIZES (default 1e6,1e7): events/s and the cuDF/pandas ratios,
#             then cuDF once more per size under cProfile (profile-bench-cudf.txt)
#   profile   cuDF alone at $PROFILE_SIZE events (default 1e7) under cProfile: where it spends
#             its time (profile-cudf-<size>.txt)
# Output is printed and kept in $OUT (the device tool's folder) or ./gpu-check/.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-gpu-check}
mkdir -p "$out"
py=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
# Unconditionally: `install` creates .gpu-site, and the steps after it in the same call need it.
export PYTHONPATH=$PWD/.gpu-site:$PWD

# The modules whose tests take the any_backend / gpu_backend fixtures, plus the policy and probe
# tests; none of them needs Prefect, Flask or s3fs, so a bare GPU image can run them.
GPU_TESTS=(
  tests/backends/test_cudf_api.py
  tests/backends/test_resolve.py
  tests/backends/test_memory_policy.py
  tests/backends/test_gpu_memory_cap.py
  tests/backends/test_bronze_gpu_checks.py
  tests/backends/test_readers.py
  tests/backends/test_parquet_gpu.py
  tests/backends/test_differential.py
  tests/backends/test_gold_builds.py
  tests/silver/test_transforms.py
  tests/gold/test_hand_computed.py
)
# Needs Prefect (flows on cuDF, gold written and read back through the lake): run where it is.
FLOW_TESTS=(tests/backends/test_flows_backend.py)

# install_wheels GLOB: the staged wheels it matches (if any) into .gpu-site, offline
install_wheels() {
  compgen -G "$1" >/dev/null || return 0
  # shellcheck disable=SC2086  # the glob is meant to expand here
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target .gpu-site $1
}

step_install() {
  # Older numba/numpy for cuDF (stage.sh --compat), before cuDF so that its import check uses them.
  install_wheels ".gpu-wheels/compat*/*.whl" || return
  local cudf_rc=0
  if ! "$py" -c "import cudf" 2>/dev/null; then
    [[ -f .gpu-wheels/p1/device-install.sh ]] || { echo "no .gpu-wheels/p1: run scripts/gpu/stage.sh and carry its parts first" >&2; return 2; }
    # Its last line sums on the GPU; when that fails, raidlib's deps still go in, so that the
    # later steps report what they can (the pandas cases, the reason cuDF was not chosen).
    bash .gpu-wheels/p1/device-install.sh || { cudf_rc=$?; echo "cuDF installed, but its GPU check failed" >&2; }
  fi
  install_wheels ".gpu-wheels/deps/*.whl" || return  # raidlib's own needs
  install_wheels ".gpu-wheels/flow-deps/*.whl" || return  # Prefect, after stage.sh --prefect
  "$py" -c "import cudf, numba, numpy, pydantic, pydantic_settings; print('installed: cudf', cudf.__version__, '| numba', numba.__version__, '| numpy', numpy.__version__, '| pydantic', pydantic.__version__)" || return
  return "$cudf_rc"
}

step_probe() {
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv 2>&1 | tee "$out/nvidia-smi.csv"
  "$py" - <<'PY' 2>&1 | tee "$out/probe.txt"
import sys
import numpy, pandas, pyarrow
from raidlib.backend import resolve_backend
from raidlib.gpu_device import device_memory
chosen = resolve_backend("auto")
print("python", sys.version.split()[0], "| pandas", pandas.__version__, "| pyarrow", pyarrow.__version__, "| numpy", numpy.__version__)
print("auto ->", chosen.name, "|", chosen.reason)
free_total = device_memory()
if free_total:
    print(f"GPU memory: {free_total[0] / 2**30:.1f} GiB free of {free_total[1] / 2**30:.1f} GiB")
sys.exit(0 if chosen.name == "cudf" else 1)
PY
}

# run CMD..., its output shown and kept in $out/LOG; the status is CMD's, not tee's
logged() {
  local log=$1
  shift
  "$@" 2>&1 | tee "$out/$log"
  return "${PIPESTATUS[0]}"
}

step_tests() {
  local selected=("${GPU_TESTS[@]}")
  if "$py" -c "import prefect" 2>/dev/null; then
    selected+=("${FLOW_TESTS[@]}")
  else
    echo "prefect is not installed here: ${FLOW_TESTS[*]} not run" | tee "$out/gpu-tests-not-run.txt"
  fi
  # In parallel where pytest-xdist is installed (the lent machine's image has it): serially
  # the selection took 198 s of a 900 s device budget on 2026-12-04. Each worker makes its own
  # CUDA context on the one GPU, which has room for several.
  local parallel=()
  if "$py" -c "import xdist" 2>/dev/null && [[ "${GPU_TEST_WORKERS:-4}" != 0 ]]; then
    parallel=(-n "${GPU_TEST_WORKERS:-4}")
  fi
  logged gpu-tests.log "$py" -m pytest -rs -q -p no:cacheprovider "${parallel[@]}" "${selected[@]}"
  local rc=$?
  if grep -q "cuDF not available" "$out/gpu-tests.log"; then
    echo "cuDF cases were SKIPPED: this run verified nothing on the GPU" | tee -a "$out/gpu-tests.log"
    return 1
  fi
  return "$rc"
}

# ran_on_gpu LOG: the benchmark in LOG ran cuDF, and no Parquet went through pyarrow instead
ran_on_gpu() {
  grep -q "peak GPU" "$out/$1" || { echo "no peak GPU figure: cuDF did not run"; return 1; }
  if grep -qE "encoding with pyarrow|reading with pyarrow" "$out/$1"; then
    echo "Parquet fell back from the GPU to pyarrow (see $1)"
    return 1
  fi
}

step_memory() {
  logged memory-1m-one-raid.log \
    "$py" benchmarks/bench_backends.py --events 1e6 --raids 1 --backends cudf --warmup \
      --profile "$out/profile-cudf-1m-one-raid.txt"
  local rc=$?
  ran_on_gpu memory-1m-one-raid.log || return 1
  return "$rc"
}

step_laptop() {
  local log=laptop-1m-one-raid.log
  logged "$log" "$py" benchmarks/bench_backends.py --events 1e6 --raids 1 --backends cudf \
    --warmup --gpu-memory-limit-mib "${LAPTOP_MIB:-3500}"
  local rc=$?
  ran_on_gpu "$log" || return 1
  grep -q "GPU-sized chunks" "$out/$log" || { echo "silver was not cut into GPU-sized chunks"; return 1; }
  if grep -qE "on pandas|using pandas|ran as" "$out/$log"; then
    echo "part of the run fell back to pandas under the cap (see $log)"
    return 1
  fi
  return "$rc"
}

step_profile() {
  logged profile.log "$py" benchmarks/bench_backends.py --events "${PROFILE_SIZE:-1e7}" \
    --backends cudf --warmup --profile "$out/profile-cudf-${PROFILE_SIZE:-1e7}.txt"
}

step_bench() {
  # cuDF runs once more per size under cProfile, reusing that size's bronze (not timed).
  logged bench.log "$py" benchmarks/bench_backends.py --events "${SIZES:-1e6,1e7}" --warmup \
    --profile-again "$out/profile-bench-cudf.txt"
}

[[ $# -gt 0 ]] || { sed -n '2,18p' "$0"; exit 2; }
status=0
for step in "$@"; do
  case "$step" in
    install | probe | tests | memory | laptop | bench | profile) ;;
    *) echo "unknown step '$step' (install, probe, tests, memory, laptop, bench, profile)" >&2; exit 2 ;;
  esac
  echo "=== $step"
  started=$SECONDS
  "step_$step" || { echo "=== $step FAILED"; status=1; }
  echo "=== $step took $((SECONDS - started)) s"
done
exit $status
