"""The options the commands share mean what their help says: the fault rates reach the faults
they name, and each default is the one the help prints."""

from __future__ import annotations

import pytest

from raidlib.cli import build_parser
from raidlib.cli.options import faults_from_args


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", ["generate", "send"])
def test_each_fault_rate_reaches_the_fault_it_names(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = build_parser().parse_args(
        [command, "--duplicates", "0.1", "--late", "0.2", "--invalid", "0.03"]
    )
    faults = faults_from_args(args)
    assert (faults.duplicate_rate, faults.late_rate, faults.invalid_rate) == (0.1, 0.2, 0.03)
    assert "in days (default 2)" in _help(command, capsys)
    assert faults.max_late_days == 2.0


def test_import_log_defaults_are_the_ones_its_help_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = _help("import-log", capsys)
    assert "events per batch (default 5000," in shown
    assert "encounter: only rows inside boss pulls, deaths included (default)" in shown
    args = build_parser().parse_args(["import-log", "WoWCombatLog.txt"])
    assert (args.batch_size, args.scope) == (5000, "encounter")
