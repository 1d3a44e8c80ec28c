"""Backend fixtures (``any_backend``, ``gpu_backend``) live in the suite's root conftest.

The cuDF case is skipped with the probe's reason (visible with ``-rs``), e.g.
``cuDF not available: cudf is not importable (ModuleNotFoundError: No module named 'cudf')``.
"""
