"""Every cuDF/RMM name raidlib's GPU-only code reaches exists in the installed cuDF.

Those branches run only on a GPU, so a function cuDF renamed or never had (``Series.from_pandas``
in 26.10) would first fail on a user's GPU, or hide behind a pyarrow fallback. Checking the
names needs cuDF importable, not a GPU: a laptop with the ``gpu-cu12`` extra, or
``scripts/gpu/check.sh tests``. Without cuDF the test is skipped.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

RAIDLIB = Path(__file__).resolve().parents[2] / "raidlib"

# Names that hold the cuDF module in raidlib by convention (``lib``/``xdf`` may also hold pandas,
# so what they reach must exist in cuDF too); ``backend.xdf`` is the resolved module.
CONVENTIONAL_ALIASES = {"lib": "cudf", "xdf": "cudf", "backend.xdf": "cudf"}
GPU_PACKAGES = ("cudf", "rmm", "pylibcudf")

# Methods reached through what a call returned (``frame.to_pylibcudf()``, a writer builder's
# chain, ``column.list_view().child()``), which the scan cannot follow: named here by hand, each
# with the raidlib line that calls it.
RETURNED_OBJECT_METHODS = {
    ("cudf", "DataFrame.to_pylibcudf"),  # lake/parquet_gpu.py encode_files
    ("cudf", "Series.repeat"),  # lake/parquet_gpu.py _decode_run
    ("pylibcudf", "Column.type"),  # lake/parquet_gpu.py column_layout
    ("pylibcudf", "DataType.id"),
    ("pylibcudf", "Column.list_view"),
    ("pylibcudf", "column.ListsColumnView.child"),
    ("pylibcudf", "io.types.TableInputMetadata.column_metadata"),  # encode_files
    ("pylibcudf", "io.types.ColumnInMetadata.set_name"),
    ("pylibcudf", "io.types.ColumnInMetadata.set_nullability"),
    ("pylibcudf", "io.types.ColumnInMetadata.child"),
    *(
        ("pylibcudf", f"io.parquet.ParquetWriterOptionsBuilder.{method}")
        for method in (
            "metadata",
            "key_value_metadata",
            "compression",
            "stats_level",
            "dictionary_policy",
            "utc_timestamps",
            "write_arrow_schema",
            "build",
        )
    ),
    ("pylibcudf", "io.parquet.ParquetWriterOptions.set_partitions"),
    ("rmm", "DeviceBuffer.ptr"),  # lake/bronze_gpu_text.py DeviceText
    ("rmm", "DeviceBuffer.size"),
}


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _aliases(tree: ast.AST) -> dict[str, str]:
    """``import rmm.statistics as stats`` → ``{"stats": "rmm.statistics"}`` (GPU packages only)."""
    found = dict(CONVENTIONAL_ALIASES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                if name.name.split(".")[0] in GPU_PACKAGES:
                    found[name.asname or name.name.split(".")[0]] = (
                        name.name if name.asname else name.name.split(".")[0]
                    )
    return found


def _imported_names(tree: ast.AST, where: str) -> set[tuple[str, str, str]]:
    """``from rmm.pylibrmm.device_buffer import copy_host_to_ptr`` → that module and name."""
    return {
        (f"{where}:{node.lineno}", node.module, name.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.split(".")[0] in GPU_PACKAGES
        for name in node.names
    }


def gpu_references() -> set[tuple[str, str, str]]:
    """``(file:line, module, attribute path)`` for each outermost attribute chain on a GPU name,
    and each name imported from a GPU package."""
    refs = set()
    for path in sorted(RAIDLIB.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        refs |= _imported_names(tree, str(path.relative_to(RAIDLIB.parent)))
        aliases = _aliases(tree)
        inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or id(node) in inner:
                continue
            dotted = _dotted(node)
            if dotted is None:
                continue
            for alias, module in aliases.items():
                if dotted.startswith(alias + "."):
                    rest = dotted[len(alias) + 1 :]
                    if not rest.startswith("__"):
                        where = f"{path.relative_to(RAIDLIB.parent)}:{node.lineno}"
                        refs.add((where, module, rest))
                    break
    return refs


def test_the_scan_sees_the_gpu_calls() -> None:
    # Guards the scan itself (runs everywhere): it must find the calls we know are there.
    found = {(module, rest) for _, module, rest in gpu_references()}
    assert ("cudf", "read_json") in found
    assert ("cudf", "DataFrame.from_arrow") in found
    assert ("pylibcudf", "io.parquet.write_parquet") in found
    assert ("rmm.pylibrmm.device_buffer", "copy_host_to_ptr") in found
    assert ("rmm.statistics", "pop_statistics") in found or (
        "rmm",
        "mr.get_current_device_resource",
    ) in found


def test_every_gpu_name_raidlib_uses_exists() -> None:
    pytest.importorskip("cudf", reason="cuDF is not installed (checked where it is)")
    missing = []
    listed = {("named in this test", module, rest) for module, rest in RETURNED_OBJECT_METHODS}
    for where, module, rest in sorted(gpu_references() | listed):
        obj = importlib.import_module(module)
        for part in rest.split("."):
            if not hasattr(obj, part):
                missing.append(f"{where}: {module}.{rest} ({part!r} is missing)")
                break
            obj = getattr(obj, part)
    assert not missing, "\n".join(missing)
