"""Ctrl-C on a ``raidlib`` command: exit 130 with one line saying what is left and whether
running the command again is safe — not the bare word ``interrupted``."""

from __future__ import annotations

import importlib

import pytest

from raidlib.cli import main


@pytest.mark.parametrize(
    ("command", "argv", "says"),
    [
        ("send", ["send", "--raids", "1"], "the same command again"),
        ("import_log", ["import-log", "log.txt"], "importing the same log again"),
        ("generate", ["generate", "--out", "out"], "holds only part of the files"),
    ],
)
def test_ctrl_c_says_what_is_left_and_how_to_finish(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    argv: list[str],
    says: str,
) -> None:
    module = importlib.import_module(f"raidlib.cli.{command}")

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run", interrupted)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert err.startswith("interrupted: ") and says in err, err
    assert len(err.strip().splitlines()) == 1
