#!/usr/bin/env bash
# Stage, on a machine WITH internet, every wheel an offline GPU machine (Python 3.12, CUDA 13,
# NumPy/pyarrow/pytest/hypothesis already there) needs to run scripts/gpu/check.sh:
#   .gpu-wheels/p1 … pN  cuDF and its libraries (../shared/gpu/stage-cudf.sh, parts ≤ 48 MiB)
#   .gpu-wheels/deps     raidlib's own runtime needs: pydantic, pydantic-settings, python-dotenv …
# Both are git-ignored (.gitignore), so they travel only when named in a call's carry. Then carry one part per call, the deps with the first part, and
# run `bash scripts/gpu/check.sh install` once everything has arrived.
#   .gpu-wheels/compat1, compat2  only with --compat: numba 0.64, numba-cuda 0.30, llvmlite 0.46 and
#                        numpy 2.4, for a machine whose numba is too new for cuDF 26.10 (it needs
#                        numba < 0.65, and numba 0.64 needs numpy < 2.5); carry them only if
#                        `check.sh install` fails importing numba or cuDF.
# Usage, from the project root:  bash scripts/gpu/stage.sh [--deps-only | --compat]
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-wheels
download() {  # DIR SPEC...: CPython 3.12 x86-64 wheels, no dependencies
  local dir=$1
  shift
  mkdir -p "$dir"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$dir" "$@"
}

if [[ "${1:-}" == "--compat" ]]; then
  rm -rf "$dest/compat1" "$dest/compat2"
  download "$dest/compat1" 'llvmlite>=0.46,<0.47'  # 54 MiB: a call of its own
  download "$dest/compat2" numba==0.64.0 'numba-cuda>=0.30,<0.31' 'numpy>=2.4,<2.5'
  du -sh "$dest"/compat* | sed 's/^/staged /'
  echo "carry compat1, then compat2, then run: bash scripts/gpu/check.sh install"
  exit 0
fi

if [[ "${1:-}" != "--deps-only" ]]; then
  stager=../shared/gpu/stage-cudf.sh
  [[ -x "$stager" || -f "$stager" ]] || { echo "no $stager: stage cuDF yourself into $dest/p*" >&2; exit 2; }
  mkdir -p "$(dirname "$(git rev-parse --git-path info/exclude)")"  # the stager appends to it
  # A call carries 64 MiB with the working tree (~1 MiB) and, with p1, the deps (~3 MiB): parts
  # of 56 MiB make seven calls of the device's 15 minutes instead of eight at the stager's 48.
  PART_MIB=${PART_MIB:-56} bash "$stager" "$dest"
fi

# The versions this checkout is tested with (its .venv), so the GPU run checks the same code paths.
python=.venv/bin/python
[[ -x "$python" ]] || python=python3
pin() { "$python" -c "import importlib.metadata as m, sys; print(sys.argv[1] + '==' + m.version(sys.argv[1]))" "$1"; }

rm -rf "$dest/deps" && mkdir -p "$dest/deps"
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64; do platforms+=(--platform "$p"); done
# --only-binary lets pip resolve the dependencies for the other platform (pydantic-core, typing-*).
python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" -d "$dest/deps" \
  "$(pin pydantic)" "$(pin pydantic-settings)" "$(pin python-dotenv)"
du -sh "$dest/deps" | sed 's/^/staged /'
ls "$dest/deps"
echo "carry .gpu-wheels/deps together with the first part; then: bash scripts/gpu/check.sh install probe tests"
