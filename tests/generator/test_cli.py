"""``raidlib generate`` end to end, through the real CLI entry point."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.ingest import ingest
from raidlib.cli import build_parser, main
from raidlib.generator import Roster, default_first_raid_start
from raidlib.schemas import EventValidationError, validate_events

from .conftest import FAR_FUTURE

_SMALL = ["--players", "10", "--enrage-ms", "60000", "--start", "2024-05-01T20:00:00+00:00"]


def test_generate_jsonl_with_a_persistent_roster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.json"
    out = tmp_path / "out"
    args = ["generate", "--raids", "2", "--seed", "3", "--roster", str(roster), "--out", str(out)]
    assert main([*args, *_SMALL]) == 0
    printed, said = capsys.readouterr()
    assert "2 raids" in printed and "raid001:" in printed and "raid002:" in printed
    # what it is doing, before the slow simulation, on stderr: stdout stays the summary
    assert said.splitlines() == ["simulating 2 raid(s)…", f"writing 2 file(s) to {out}…"]
    assert ("kill" in printed) or ("wipe" in printed)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["raid001.jsonl", "raid002.jsonl"]
    text = (out / "raid001.jsonl").read_text()
    assert text.endswith("}\n")  # JSON Lines: every line ends, so files concatenate cleanly
    events = [json.loads(line) for line in text.splitlines()]
    validate_events(events, now=FAR_FUTURE)
    ids = {p.player_id for p in Roster.load(roster).players}
    assert {e["source_player_id"] for e in events if "source_player_role" in e} == ids
    # A second run with another seed reuses the saved roster: same players.
    assert (
        main([*args[:-4], "--seed", "4", "--roster", str(roster), "--out", str(out), *_SMALL]) == 0
    )
    events = [json.loads(line) for line in (out / "raid001.jsonl").read_text().splitlines()]
    assert {e["source_player_id"] for e in events if "source_player_role" in e} == ids


def test_generate_json_batches_with_faults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "batches"
    argv = ["generate", "--pug", "--format", "json", "--batch-size", "500", "--out", str(out),
            "--invalid-rate", "0.01", "--duplicate-rate", "0.01", *_SMALL]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    bodies = [json.loads(p.read_bytes()) for p in sorted(out.iterdir())]
    assert bodies and all(set(b) == {"batch_id", "source", "events"} for b in bodies)
    rejected = 0
    for body in bodies:
        try:
            validate_events(body["events"], now=FAR_FUTURE)
        except EventValidationError:
            rejected += 1
    assert 0 < rejected < len(bodies)
    assert f"{len(bodies)} batches ({rejected} meant to be rejected)" in printed


def test_batch_files_sort_by_name_in_send_order_past_a_hundred(tmp_path: Path) -> None:
    out = tmp_path / "batches"
    argv = ["generate", "--format", "json", "--batch-size", "10", "--out", str(out), *_SMALL]
    assert main(argv) == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) >= 100
    assert [int(n.split("-", 1)[0]) for n in names] == list(range(1, len(names) + 1))


def test_generate_without_start_uses_the_shared_default(tmp_path: Path) -> None:
    before = default_first_raid_start(2)
    out = tmp_path / "out"
    assert main(["generate", "--raids", "2", "--players", "5", "--out", str(out)]) == 0
    after = default_first_raid_start(2)  # differs from before only across midnight UTC
    first = json.loads((out / "raid001.jsonl").read_text().splitlines()[0])
    began = datetime.fromisoformat(first["timestamp"])
    assert any(start <= began < start + timedelta(minutes=1) for start in (before, after))


@pytest.mark.parametrize("prefix", ["_x", "a/b", "x" * 33])
def test_send_refuses_a_raid_prefix_that_makes_invalid_raid_ids(
    prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["send", "--raid-prefix", prefix, "--url", "http://127.0.0.1:9"])
    assert exit_info.value.code == 2
    assert "is not a raid-id prefix" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "--raids", "0"], "--raids: 0 is less than 1"),
        (["generate", "--players", "-3"], "--players: -3 is not between 1 and 40"),
        (["generate", "--skill", "0"], "--skill: 0 is not a skill above 0 and at most 3"),
        (["generate", "--skill", "inf"], "--skill: inf is not a skill above 0 and at most 3"),
        (["generate", "--batch-size", "0"], "--batch-size: 0 is not between 1 and 10000"),
        (["send", "--batch-size", "20000"], "--batch-size: 20000 is not between 1 and 10000"),
        (["generate", "--seed", "-1"], "--seed: -1 is less than 0"),
        (["generate", "--enrage-ms", "99999999999999"], "is not between 1 and 3600000"),
        (["generate", "--start", "garbage"], "--start: 'garbage' is not an ISO-8601 date-time"),
        (["send", "--concurrency", "0"], "--concurrency: 0 is less than 1"),
        (["send", "--retries", "-1"], "--retries: -1 is less than 0"),
        (["serve", "--port", "70000"], "--port: 70000 is not between 0 and 65535"),
        (["serve", "--threads", "0"], "--threads: 0 is less than 1"),
        (["up", "--startup-timeout", "-1"], "--startup-timeout: -1 is not above 0"),
    ],
)
def test_an_impossible_number_is_a_usage_error_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_faults_without_batches_to_put_them_in_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format jsonl writes one file per raid: a fault rate would change nothing, silently."""
    out = tmp_path / "out"
    assert main(["generate", "--raids", "1", "--out", str(out), "--duplicates", "0.5"]) == 2
    assert "--duplicates applies to batches, which only --format json writes" in (
        capsys.readouterr().err
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "Expecting property name"),
        ("[]", "a roster is a JSON object"),
        ('{"format_version": 1, "players": [{"player_id": "p1"}]}', "roster player 0"),
    ],
)
def test_generate_names_the_roster_and_the_reason_it_cannot_be_used(
    tmp_path: Path, text: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.json"
    roster.write_text(text)
    out = tmp_path / "out"
    assert main(["generate", "--roster", str(roster), "--out", str(out), *_SMALL]) == 2
    err = capsys.readouterr().err
    assert f"cannot use roster {roster}" in err and reason in err
    assert roster.read_text() == text  # the user's file is left as it was
    assert not out.exists()


@pytest.mark.parametrize(
    "command",
    [["serve"], ["up", "--no-worker"], ["send", "--url", "http://127.0.0.1:9", "--token", "t"]],
    ids=" ".join,
)
def test_a_bad_setting_names_its_variable_without_a_traceback(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAIDLIB_RECEIVER_PORT", "eighty")
    assert main(command) == 2
    out, err = capsys.readouterr()
    assert "setting receiver_port (env RAIDLIB_RECEIVER_PORT)" in err and "'eighty'" in err
    assert "Traceback" not in err
    assert out == ""  # stopped before doing anything (send simulated its raids first)


def test_generate_send_and_the_ingest_flow_share_one_default_seed() -> None:
    """Without ``--seed`` the three ways of making raids make the same raids."""
    parser = build_parser()
    flow_default = inspect.signature(ingest.fn).parameters["seed"].default
    assert parser.parse_args(["generate"]).seed == parser.parse_args(["send"]).seed == flow_default


def test_up_resolves_a_relative_lake_against_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like ``serve --lake``: the user's folder, not the checkout the stack runs from."""
    import raidlib.cli.up as up
    from raidlib.stack import Stack, StackError

    seen = {}

    class RecordingStack(Stack):
        def __init__(self, config: Any, echo: Any) -> None:
            super().__init__(config, echo)
            seen["lake"], seen["port"] = config.lake, config.receiver_port

        def start(self) -> None:
            raise StackError("not starting anything in this test")

    monkeypatch.setattr(up, "Stack", RecordingStack)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAIDLIB_RECEIVER_PORT", "18555")  # like serve, up reads the setting
    assert main(["up", "--no-worker", "--lake", "mylake"]) == 1
    assert seen["lake"] == str(tmp_path.resolve() / "mylake") and seen["port"] == 18555
    assert "not starting anything" in capsys.readouterr().err


def test_up_without_a_receiver_does_not_mind_its_port_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """RAIDLIB_RECEIVER_PORT=0 (a free port, fine for `serve`) matters only when up starts one."""
    import raidlib.cli.up as up
    from raidlib.stack import StackError

    class RefusingStack:
        def __init__(self, config: Any, echo: Any) -> None:
            pass

        def start(self) -> None:
            raise StackError("not starting anything in this test")

    monkeypatch.setattr(up, "Stack", RefusingStack)
    monkeypatch.setenv("RAIDLIB_RECEIVER_PORT", "0")
    assert main(["up", "--no-worker", "--no-receiver"]) == 1
    assert "not starting anything" in capsys.readouterr().err
    assert main(["up", "--no-worker"]) == 2
    assert "RAIDLIB_RECEIVER_PORT=0" in capsys.readouterr().err


def test_up_refuses_a_taken_port_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another server on the port would answer the health check and be set up in its place."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for option in ("--prefect-port", "--receiver-port"):
            argv = ["up", "--no-worker", "--state-dir", str(tmp_path / "st"), option, str(port)]
            if option == "--receiver-port":
                argv += ["--prefect-port", str(port + 1 if port < 65535 else port - 1)]
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert f"port {port} on 127.0.0.1" in err and "already in use" in err
            assert option in err
    assert not (tmp_path / "st").exists()  # nothing was started, not even a log folder


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _up_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *options: str
) -> str:
    """``raidlib up --no-worker OPTIONS`` on free ports, expected to stop with exit 2 before
    anything starts; its stderr."""
    import raidlib.cli.up as up

    def must_not_run(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("started before checking its options")

    monkeypatch.setattr(up.Stack, "start", must_not_run)
    ports = ["--prefect-port", str(_free_port()), "--receiver-port", str(_free_port())]
    assert main(["up", "--no-worker", *ports, *options]) == 2
    return capsys.readouterr().err


def test_up_refuses_a_lake_the_receiver_cannot_use_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`up --lake FILE` started the Prefect server and set it up, then failed 25 s later: the
    receiver had exited 2 on the lake. The receiver's lake is checked first, as `serve` does:
    --lake, or else the checkout's ./lake, where the receiver starts."""
    a_file = tmp_path / "lake"
    a_file.write_text("not a folder")
    for where in (["--lake", str(a_file)], ["--project-dir", str(tmp_path)]):
        err = _up_refused(monkeypatch, capsys, "--state-dir", str(tmp_path / "st"), *where)
        assert f"raidlib up: bronze root {a_file}/bronze cannot take files: Not a dir" in err
    assert not (tmp_path / "st").exists()


def test_up_refuses_a_state_dir_that_is_a_file_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was a NotADirectoryError traceback (exit 1) from the first mkdir."""
    a_file = tmp_path / "state"
    a_file.write_text("not a folder")
    lake = ["--lake", str(tmp_path / "lake")]
    err = _up_refused(monkeypatch, capsys, *lake, "--state-dir", str(a_file))
    assert f"raidlib up: --state-dir {a_file} is a file, not a folder" in err
    assert "Traceback" not in err
    err = _up_refused(monkeypatch, capsys, *lake, "--state-dir", str(a_file / "below"))
    assert f"{a_file} is a file, not a folder" in err


def test_setup_prefect_where_no_server_answers_says_to_start_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """It exited 1, "failed: … [Errno 111] Connection refused", where every other "nobody
    answers" exits 2 and says what to start."""
    url = f"http://127.0.0.1:{_free_port()}/api"  # free a moment ago: nothing listens there
    assert main(["setup-prefect", "--api-url", url]) == 2
    err = capsys.readouterr().err
    assert f"raidlib setup-prefect: no Prefect server answers at {url} (ConnectError" in err
    assert "start one with `raidlib up`" in err and "PREFECT_API_URL" in err
    assert main(["setup-prefect", "--api-url", "notaurl"]) == 2
    assert "notaurl is not an http:// or https:// URL" in capsys.readouterr().err
    # No API URL at all: in a fresh process, as a Prefect test harness elsewhere in this one
    # may provide one (CI: the command then set up the harness's server and exited 0).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RAIDLIB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "raidlib", "setup-prefect"],
        env=env | {"PREFECT_HOME": str(tmp_path / "prefect"), "RAIDLIB_ENV_FILE": ""},
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "PREFECT_API_URL is not set: start a server (`raidlib up`)" in done.stderr


@pytest.mark.parametrize("command", ["up", "setup-prefect"])
def test_deploy_outside_a_checkout_is_refused_before_anything_starts(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wheel install has no prefect.yaml: say so at once, not after starting Prefect's server."""
    import raidlib.cli.setup_prefect as setup_command
    import raidlib.cli.up as up

    def must_not_run(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("started before checking the project folder")

    monkeypatch.setattr(up, "Stack", must_not_run)
    monkeypatch.setattr(setup_command, "setup_prefect", must_not_run)
    missing = tmp_path / "no-such-checkout"
    assert main([command, "--deploy", "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--deploy needs a raidlib checkout" in err and "prefect.yaml" in err
    assert str(tmp_path.resolve()) in err and "Traceback" not in err

    assert main([command, "--project-dir", str(missing)]) == 2
    assert f"--project-dir {missing} is not a folder" in capsys.readouterr().err
    assert not missing.exists()  # a mistyped folder is not created


def test_generate_refuses_an_out_folder_it_cannot_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before simulating: a file, or a folder holding an earlier run's events."""
    (tmp_path / "a-file").write_text("x")
    assert main(["generate", "--out", str(tmp_path / "a-file")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    out = tmp_path / "batches"
    assert main(["generate", "--out", str(out), "--format", "json"]) == 0
    before = sorted(p.name for p in out.iterdir())
    assert main(["generate", "--out", str(out), "--format", "json"]) == 0  # the same run again
    assert main(["generate", "--out", str(out), "--format", "json", "--seed", "1"]) == 2
    assert "files of an earlier run" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before


def test_generate_takes_a_raid_prefix(tmp_path: Path) -> None:
    """Files meant for a lake that already has ``raid001``… get ids of their own."""
    out = tmp_path / "out"
    assert main(["generate", "--raid-prefix", "tue-", "--out", str(out), *_SMALL]) == 0
    assert [p.name for p in out.iterdir()] == ["tue-001.jsonl"]
    first = json.loads((out / "tue-001.jsonl").read_text().splitlines()[0])
    assert first["raid_id"] == "tue-001"


def test_output_a_windows_pipe_cannot_encode_is_shown_not_fatal(tmp_path: Path) -> None:
    """On Windows a redirected stdout is cp1252: the summary's arrow raised UnicodeEncodeError
    after the files were written, and the command exited 1."""
    import os
    import subprocess
    import sys

    command = "from raidlib.cli import main; raise SystemExit(main(__import__('sys').argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", command, "generate", "--raids", "1", *_SMALL, "--out", "g"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    assert b"events ? 1 JSON Lines file" in done.stdout  # the arrow, replaced
    assert (tmp_path / "g").is_dir()


def test_flow_scripts_and_commands_print_names_their_output_cannot_encode(monkeypatch) -> None:
    import io
    import sys

    from raidlib.cli.terminal import tolerate_unencodable_output

    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="cp1252"))
    tolerate_unencodable_output()
    print("Zöë 龍騎士 → 3 raids")
    sys.stdout.flush()
    assert raw.getvalue().decode("cp1252") == "Zöë ??? ? 3 raids\n"
