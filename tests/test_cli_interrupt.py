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


class _ClosedPipe:
    """stdout whose reader went away (``raidlib … | head -1`` after head exited)."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_went_away_ends_the_command_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``raidlib --version | head -0`` ended in a BrokenPipeError traceback, and a command piped
    to ``head`` exited 1, which means "a batch was rejected" for import-log: now 141, as a
    shell reports a command whose reader went away, and nothing on stderr."""
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["--version"]) == 141
    module = importlib.import_module("raidlib.cli.send")

    def prints(args: object) -> int:
        print("summary")
        return 0

    monkeypatch.setattr(module, "run", prints)
    assert main(["send", "--raids", "1"]) == 141
    assert capsys.readouterr().err == ""


def test_a_broken_pipe_from_elsewhere_is_still_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only stdout's reader going away ends quietly: a broken socket is a real failure."""
    module = importlib.import_module("raidlib.cli.send")

    def socket_broke(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(module, "run", socket_broke)
    with pytest.raises(BrokenPipeError):
        main(["send", "--raids", "1"])


def test_a_real_pipe_whose_reader_exited_is_told_apart_from_a_live_one() -> None:
    import os
    import subprocess
    import sys

    script = "import sys; from raidlib.cli import main; sys.exit(main(['--version']))"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (head) is gone before the command writes
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], stdout=write_end, stderr=subprocess.PIPE, timeout=60
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr == b"", done.stderr
    alive = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert alive.returncode == 0 and alive.stdout.startswith(b"raidlib ")
