"""raidlib's library log lines outside a Prefect run: printed as before, and no warning from
Prefect's API handler (which can only send lines that belong to a run)."""

from __future__ import annotations

import logging
import warnings

import pytest

from raidlib.tasks.logs import OutsideRuns, RunLogForwarder, forward_library_logs


def test_outside_a_run_library_lines_raise_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    forward_library_logs()
    forward_library_logs()  # idempotent: one forwarder
    logger = logging.getLogger("raidlib")
    assert sum(isinstance(h, RunLogForwarder) for h in logger.handlers) == 1
    backend_filters = logging.getLogger("raidlib.backend").filters
    assert sum(isinstance(f, OutsideRuns) for f in backend_filters) == 1
    assert logger.getEffectiveLevel() <= logging.INFO
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.INFO):
            logging.getLogger("raidlib.gold.pipeline").info("gold r1: needs ~1 MiB")
            logging.getLogger("raidlib.backend").info("dataframe backend: pandas (test)")
    assert "gold r1: needs ~1 MiB" in caplog.text
    assert "dataframe backend: pandas (test)" in caplog.text  # outside a run: shown


def test_prefects_logging_level_above_info_quiets_the_library_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``PREFECT_LOGGING_LEVEL=WARNING`` (scripts/demo.sh sets it) hid Prefect's INFO lines but
    raidlib's still printed: its logger was set to INFO whatever Prefect's level."""
    from prefect.settings import PREFECT_LOGGING_LEVEL, temporary_settings

    logger = logging.getLogger("raidlib")
    monkeypatch.setattr(logger, "level", logging.NOTSET)  # as in a fresh process
    with temporary_settings({PREFECT_LOGGING_LEVEL: "WARNING"}):
        forward_library_logs()
    assert logger.level == logging.WARNING
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    with temporary_settings({PREFECT_LOGGING_LEVEL: "DEBUG"}):
        forward_library_logs()
    assert logger.level == logging.INFO  # not the flood of DEBUG: INFO at the most verbose
    monkeypatch.setattr(logger, "level", logging.ERROR)  # a level the user set is kept
    forward_library_logs()
    assert logger.level == logging.ERROR
