#!/usr/bin/env bash
# Stage, on a machine WITH internet, every wheel an offline GPU machine (Python 3.12, CUDA 13,
# NumPy/pyarrow/pytest/hypothesis already there) needs to run scripts/gpu/check.sh:
#   .gpu-wheels/p1 … pN  cuDF and its libraries (../shared/gpu/stage-cudf.sh, parts ≤ 56 MiB)
#   .gpu-wheels/deps     raidlib's own runtime needs: pydantic, pydantic-settings, python-dotenv …
#   .gpu-wheels/compat1, compat2  only with --compat: numba 0.64, numba-cuda 0.30, llvmlite 0.46 and
#                        NumPy 2.4, for a machine whose NumPy (2.5) or numba is too new for
#                        cuDF 26.10 (numba-cuda < 0.31 fails at `import cudf` under NumPy 2.5:
#                        NVIDIA/numba-cuda#907)
#   .gpu-wheels/flow-deps  only with --prefect: Prefect and what it needs beyond the machine's image
#                        (~30 MiB), so that check.sh also runs the flows on cuDF
# All are git-ignored, so they travel only when named in a call's carry: scripts/gpu/README.md
# plans the calls; `bash scripts/gpu/check.sh install` runs once everything has arrived.
# Usage, from the project root:  bash scripts/gpu/stage.sh [--deps-only | --compat | --prefect]
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-wheels
# The versions this checkout is tested with (its .venv), so the GPU run checks the same code paths.
python=.venv/bin/python
if [[ ! -x "$python" ]]; then
  echo "warning: no .venv: pinning to $(python3 --version) packages instead (create .venv first)" >&2
  python=python3
fi
pin() { "$python" -c "import importlib.metadata as m, sys; print(sys.argv[1] + '==' + m.version(sys.argv[1]))" "$1"; }
# download DIR PIP-ARGS...: CPython 3.12 x86-64 wheels into DIR (emptied first). --only-binary
# lets pip resolve dependencies for that platform (pydantic-core, typing-*); --no-deps skips them.
download() {
  local dir=$1
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$dir" "$@"
}
norm() { tr '_.A-Z' '--a-z'; }  # a distribution name as pip compares it

if [[ "${1:-}" == "--compat" ]]; then
  download "$dest/compat1" --no-deps 'llvmlite>=0.46,<0.47'  # 54 MiB: a call of its own
  download "$dest/compat2" --no-deps numba==0.64.0 'numba-cuda>=0.30,<0.31' 'numpy>=2.4,<2.5'
  du -sh "$dest"/compat* | sed 's/^/staged /'
  echo "carry compat1, then compat2, then run: bash scripts/gpu/check.sh install"
  exit 0
fi

# What the lent machine's image already holds (as read there on 2026-11-17): not carried again.
IMAGE_HAS="aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs certifi
charset-normalizer click cloudpickle colorama filelock frozenlist fsspec h11 httpcore httpx
idna jinja2 markdown-it-py markupsafe mdurl multidict numpy packaging pandas pathspec pluggy
prometheus-client propcache protobuf psutil pyarrow pygments python-dateutil pyyaml regex
requests rich setuptools shellingham six sortedcontainers toolz typer typing-extensions
urllib3 uvloop werkzeug wrapt yarl zipp"

if [[ "${1:-}" == "--prefect" ]]; then
  # With dependencies, pinned as pyproject pins them; then drop what the image or deps/ has.
  download "$dest/flow-deps" "$(pin prefect)" 'fastapi<0.151' 'sqlalchemy>=2.0,<2.1'
  have=" $(for w in "$dest"/deps/*.whl; do basename "$w" | cut -d- -f1; done | tr '\n' ' ')"
  have=" $(echo $IMAGE_HAS $have | norm) "
  for w in "$dest"/flow-deps/*.whl; do
    [[ "$have" == *" $(basename "$w" | cut -d- -f1 | norm) "* ]] && rm "$w"
  done
  du -sh "$dest/flow-deps" | sed 's/^/staged /'
  echo "carry .gpu-wheels/flow-deps before check.sh install (scripts/gpu/README.md: call 8, with compat2)"
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

download "$dest/deps" "$(pin pydantic)" "$(pin pydantic-settings)" "$(pin python-dotenv)"
du -sh "$dest/deps" | sed 's/^/staged /'
ls "$dest/deps"
echo "next: carry the parts as scripts/gpu/README.md plans (deps with p1), then scripts/gpu/check.sh"
