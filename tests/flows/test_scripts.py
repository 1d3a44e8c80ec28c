"""The flow scripts as a user starts them: ``python flows/<name>.py``."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from raidlib.backend import resolve_backend

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p for p in (ROOT / "flows").glob("*.py") if p.name != "__init__.py")


def stopped_before_any_flow_run(
    script: Path, tmp_path: Path, env: dict[str, str], *options: str, log: Path | None = None
) -> str:
    """Run ``script`` expecting a usage stop: exit 2, no traceback, no flow run, no lake.
    The import script reads ``log`` (default: a one-line log, so the stop is for another reason).

    Returns stderr, which should say why.
    """
    if log is None:
        log = tmp_path / "WoWCombatLog.txt"
        log.write_text("2/16/2026 22:48:00.0000  COMBAT_LOG_VERSION,22\n", encoding="utf-8")
    args = [str(log)] if script.stem == "import_combat_log" else []
    done = subprocess.run(
        [sys.executable, str(script), *args, "--lake", str(tmp_path / "lake"), *options],
        env={**env, "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    # No flow ran: no temporary Prefect server, no failed run, nothing written to the lake.
    assert "flow run" not in done.stdout + done.stderr
    assert not (tmp_path / "lake").exists()
    return done.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_a_bad_setting_stops_the_script_before_any_flow_run(script: Path, tmp_path: Path) -> None:
    err = stopped_before_any_flow_run(script, tmp_path, {**os.environ, "RAIDLIB_BACKEND": "gpu"})
    assert f"{script.name}: setting backend (env RAIDLIB_BACKEND)" in err and "'gpu'" in err


BACKEND_SCRIPTS = [p for p in SCRIPTS if "add_backend_option" in p.read_text()]


@pytest.mark.parametrize("script", BACKEND_SCRIPTS, ids=lambda p: p.stem)
def test_forcing_cudf_without_a_gpu_stops_the_script_before_any_flow_run(
    script: Path, tmp_path: Path
) -> None:
    if resolve_backend("auto").is_gpu:
        pytest.skip("cuDF runs here: forcing it is not an error")
    env = {k: v for k, v in os.environ.items() if k != "RAIDLIB_BACKEND"}
    err = stopped_before_any_flow_run(script, tmp_path, env, "--backend", "cudf")
    assert f"{script.name}: backend 'cudf' was requested but" in err and "--backend pandas" in err


def environment_without_prefect_or_raidlib_settings(tmp_path: Path) -> dict[str, str]:
    """This environment minus every ``PREFECT_*``/``RAIDLIB_*`` variable, with a fresh
    ``PREFECT_HOME``: what a user who never configured Prefect has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RAIDLIB_"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    return env


def run_bronze_to_silver(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python flows/bronze_to_silver.py --lake <tmp_path>`` in ``env``, output captured."""
    return subprocess.run(
        [sys.executable, str(ROOT / "flows" / "bronze_to_silver.py"), "--lake", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_first_run_on_a_temporary_server_logs_no_error(tmp_path: Path) -> None:
    """A fresh ``PREFECT_HOME`` and no API URL: the script starts Prefect's temporary server,
    whose telemetry used to log an ERROR (offline) or a "database is locked" traceback."""
    env = environment_without_prefect_or_raidlib_settings(tmp_path)
    done = run_bronze_to_silver(tmp_path, env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Starting temporary server" in output and "Finished in state Completed()" in output
    assert "ERROR" not in output and "Traceback" not in output, output


def test_a_database_from_a_newer_prefect_gets_a_way_out(tmp_path: Path) -> None:
    """``~/.prefect`` shared with a project on a newer Prefect: its database carries a migration
    this Prefect does not know, the temporary server dies, and Prefect only reports a timeout.
    The script says what happened and what to do instead of a bare traceback."""
    import sqlite3

    env = environment_without_prefect_or_raidlib_settings(tmp_path)
    # Long enough for a loaded machine to start the server as far as its migration check (at
    # 10 s its log sometimes held nothing yet: mutation audit), short enough for CI.
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "20"
    (tmp_path / "prefect").mkdir()
    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as db:  # as a newer Prefect left it
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
    done = run_bronze_to_silver(tmp_path, env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ffffffffffff" in done.stderr  # the server's own log, kept
    last = done.stderr.strip().splitlines()[-2:]  # the server stopped first: its log is above
    assert last[0].startswith("error: Prefect's temporary server did not answer within 20 s")
    assert str(tmp_path / "prefect") in last[1] and "PREFECT_HOME=" in last[1]
    assert "RuntimeError" not in done.stderr


def test_scripts_give_a_first_temporary_server_time_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prefect's 20 s was shorter than a first start (it creates the database) on a slow machine:
    the demo and every flow script failed with "Timed out ... ephemeral Prefect API server"."""
    # A value of the developer's own would win, as it should: the default is what is tested.
    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as STARTUP
    from prefect.settings import temporary_settings

    from raidlib.cli.flow_script import TEMPORARY_SERVER_STARTUP_S, flow_script_settings

    with flow_script_settings():
        assert STARTUP.value() == TEMPORARY_SERVER_STARTUP_S == 90
    with temporary_settings(updates={STARTUP: 7}), flow_script_settings():
        assert STARTUP.value() == 7  # the user's own value wins
    assert not [p.name for p in SCRIPTS if "with flow_script_settings():" not in p.read_text()]


SERVER_ENV = """
import json
from prefect.settings import get_current_settings
from raidlib.cli.flow_script import flow_script_settings
with flow_script_settings():
    env = get_current_settings().to_environment_variables(exclude_unset=True)
print(json.dumps({k: v for k, v in env.items() if "ANALYTICS" in k or "STARTUP" in k}))
"""


@pytest.mark.parametrize(
    ("user_value", "expected"), [(None, "False"), ("true", "True"), ("false", "False")]
)
def test_scripts_start_the_temporary_server_without_telemetry_unless_the_user_chose(
    tmp_path: Path, user_value: str | None, expected: str
) -> None:
    """What Prefect hands the temporary server's subprocess: every setting that is set, the
    scripts' defaults included; the user's own ``PREFECT_SERVER_ANALYTICS_ENABLED`` wins."""
    env = environment_without_prefect_or_raidlib_settings(tmp_path)
    if user_value is not None:
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = user_value
    done = subprocess.run(
        [sys.executable, "-c", SERVER_ENV], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    server_env = json.loads(done.stdout.strip().splitlines()[-1])
    assert server_env["PREFECT_SERVER_ANALYTICS_ENABLED"] == expected
    assert server_env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "90"


_CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TRAVIS", "CIRCLECI",
                 "BUILDKITE", "TF_BUILD", "CODEBUILD_BUILD_ID", "BITBUCKET_COMMIT",
                 "TEAMCITY_VERSION", "DRONE", "SEMAPHORE", "APPVEYOR", "BUDDY", "CI_NAME")  # fmt: skip


def output_in_a_terminal(argv: list[str], env: dict[str, str], timeout_s: float = 120) -> str:
    """What ``argv`` prints when run in a pseudo-terminal (as a user runs it)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: never returns
        os.execve(argv[0], argv, env)
    output, deadline = b"", time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    return output.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("script", ["medallion.py", "ingest.py"])
def test_a_first_run_in_a_terminal_sends_no_prefect_telemetry(tmp_path: Path, script: str) -> None:
    """Prefect's client telemetry (on import, in a terminal, with a new PREFECT_HOME) printed its
    notice and reached out to its collector, though the README says the scripts run with
    telemetry off; ``DO_NOT_TRACK`` (still the user's to set) now defaults to 1."""
    env = environment_without_prefect_or_raidlib_settings(tmp_path)
    for name in ("DO_NOT_TRACK", *_CI_VARIABLES):  # CI would silence it by itself
        env.pop(name, None)
    out = output_in_a_terminal([sys.executable, str(ROOT / "flows" / script), "--help"], env)
    assert "usage:" in out, out
    assert "anonymous usage data" not in out, out


def flow_and_parser(script: Path) -> tuple[Any, Any]:
    """The flow a script runs (named as its file) and its ``cli_parser()``."""
    module = importlib.import_module(f"flows.{script.stem}")
    return getattr(module, script.stem), module.cli_parser()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_flow_parameter_and_script_option_says_what_it_does(
    script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Prefect UI shows each parameter's docstring line beside its field; ``--help`` shows
    each option's text, several of them taken from those same lines."""
    monkeypatch.syspath_prepend(str(ROOT))
    flow, parser = flow_and_parser(script)
    undocumented = [
        name for name, field in flow.parameters.properties.items() if not field.get("description")
    ]
    assert not undocumented, f"{script.name}: parameters without a docstring line: {undocumented}"
    silent = [a.dest for a in parser._actions if not a.help]
    assert not silent, f"{script.name}: options without --help text: {silent}"
    assert "Args:" not in (parser.description or "")
    parser.format_help()  # every help string survives argparse's %-formatting


def test_prefect_deploy_all_has_nothing_to_ask() -> None:
    """``prefect deploy --all`` in a terminal asks about schedules a deployment leaves unsaid."""
    import yaml

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    unsaid = [d["name"] for d in spec["deployments"] if "schedules" not in d]
    assert not unsaid, f"state `schedules:` (`[]` for none) for {unsaid}"
    assert {d["name"] for d in spec["deployments"]} == {p.stem for p in SCRIPTS if p.stem != "demo"}


def test_the_ingest_script_prints_the_raids_and_their_delivery() -> None:
    from flows.ingest import describe_ingest

    result = {
        "raids": [{"raid_id": "r001", "outcome": "kill"}, {"raid_id": "r002", "outcome": "wipe"}],
        "delivery": {
            "batches": 3,
            "accepted": 2,
            "duplicate": 0,
            "rejected": 1,
            "failed": 0,
            "events_accepted": 12345,
            "first_error": "400 validation_failed",
        },
    }
    assert describe_ingest(result, "http://127.0.0.1:8000") == [
        "2 raid(s) simulated: r001 kill, r002 wipe",
        "3 batch(es) to http://127.0.0.1:8000: 2 accepted (12,345 events), 0 duplicate, "
        "1 rejected, 0 failed",
        "first error: 400 validation_failed",
    ]


def test_the_silver_line_groups_digits_as_the_other_lines_do() -> None:
    from flows.bronze_to_silver import describe_silver

    result = {"batches": 2143, "rows_added": 2528766, "duplicates_removed": 50004,
              "rows_quarantined": 0}  # fmt: skip
    assert describe_silver(result) == (
        "silver: 2,143 batch(es), 2,528,766 rows added, 50,004 duplicates removed, 0 quarantined"
    )


def test_a_dask_address_nobody_answers_on_stops_the_script_at_once(tmp_path: Path) -> None:
    """Prefect's Dask runner would wait 30 s, then fail the run with a bare OSError."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    script = ROOT / "flows" / "medallion.py"
    err = stopped_before_any_flow_run(script, tmp_path, dict(os.environ), "--dask-address", address)
    assert f"medallion.py: no Dask scheduler answers at {address}" in err
    assert "correct --dask-address" in err


def _dead_port_url() -> str:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("script", ["ingest", "import_combat_log"])
def test_a_receiver_nobody_answers_on_stops_the_script_at_once(script: str, tmp_path: Path) -> None:
    """Not a failed flow run printing the same traceback per retry, but the reason, once."""
    url = _dead_port_url()
    path = ROOT / "flows" / f"{script}.py"
    err = stopped_before_any_flow_run(path, tmp_path, dict(os.environ), "--receiver-url", url)
    assert f"{script}.py: no receiver answers at {url}" in err


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_a_log_that_is_not_a_file_stops_the_import_script(where: str, tmp_path: Path) -> None:
    target = tmp_path / "missing.txt" if where == "missing" else tmp_path
    script = ROOT / "flows" / "import_combat_log.py"
    err = stopped_before_any_flow_run(script, tmp_path, dict(os.environ), log=target)
    expected = f"no such file: {target}" if where == "missing" else f"{target} is a folder, not"
    assert expected in err


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "no combat log rows in {log}"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "no combat log rows in {log}"),
        ("2/16/2026 22:48:00.0000  COMBAT_LOG_VERSION,22\n".encode("utf-16"), "{log} looks like"),
        (b"\x1f\x8b\x08\x00\x00\x00", "{log} is truncated: its gzip stream ends early (before"),
    ],
    ids=["empty", "binary", "utf-16", "gzip-cut-short"],
)
def test_a_log_no_import_gets_past_the_start_of_stops_the_script_before_any_flow_run(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """The script found these only in the run, after starting Prefect's temporary server (20-35
    s), and said why after ~50 lines of the failed run's tracebacks (error-UX audit)."""
    log = tmp_path / "WoWCombatLog.txt"
    log.write_bytes(content)
    script = ROOT / "flows" / "import_combat_log.py"
    err = stopped_before_any_flow_run(script, tmp_path, dict(os.environ), log=log)
    assert err.startswith(f"import_combat_log.py: {reason.format(log=log)}")
    assert len(err.splitlines()) == 1


def test_a_lake_that_is_a_file_stops_the_script(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "lake.txt"
    not_a_folder.write_text("notes", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "flows" / "medallion.py"), "--lake", str(not_a_folder)],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"{not_a_folder} is a file, not a folder" in done.stderr


def test_a_lake_folder_that_does_not_exist_is_pointed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --lake reads as an empty lake; the script says so before its 0 batches."""
    medallion = importlib.import_module("flows.medallion")
    from raidlib.cli.flow_script import parse_flow_args

    monkeypatch.setattr(sys, "argv", ["medallion.py", "--lake", str(tmp_path / "lakke")])
    parse_flow_args(medallion.cli_parser(), reads_lake=True)  # as medallion.py calls it
    assert f"{tmp_path / 'lakke'} does not exist yet" in capsys.readouterr().err
    parse_flow_args(medallion.cli_parser())  # a script that lands data there: no note
    assert capsys.readouterr().err == ""
    assert "reads_lake=True" in (ROOT / "flows" / "medallion.py").read_text()


def test_a_damaged_log_ends_the_import_script_with_its_reason(tmp_path: Path) -> None:
    """Damage past the start the script checks up front: the flow run fails (its log keeps
    Prefect's traceback); the script's last word is the reason, with exit 2 as ``raidlib
    import-log`` gives, not a second traceback."""
    import gzip

    damaged = tmp_path / "WoWCombatLog.txt.gz"
    packed = gzip.compress(b"2/16/2026 22:48:00.0000  COMBAT_LOG_VERSION,22\n" * 60_000)
    damaged.write_bytes(packed[: len(packed) * 3 // 4])  # ~2.9 MB of lines: cut past 1 MiB
    done = subprocess.run(
        [sys.executable, str(ROOT / "flows" / "import_combat_log.py"), str(damaged)],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"import_combat_log.py: {damaged} is truncated" in done.stderr


def test_a_full_disk_ends_a_script_with_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A flow run that met a full disk or a read-only lake ended the script in a traceback
    (exit 1); the run's log keeps Prefect's, the script's last word is what to do."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from raidlib.cli.flow_script import flow_script_settings
    from raidlib.lake import LakeWriteError

    full = "disk full writing /lake/silver/x/part-0.parquet: free space and run the same command"
    monkeypatch.setattr(sys, "argv", [str(ROOT / "flows" / "medallion.py")])
    with (
        pytest.raises(SystemExit) as stopped,
        temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}),  # no temporary server
        flow_script_settings(),
    ):
        raise LakeWriteError(28, full)
    assert stopped.value.code == 2
    assert capsys.readouterr().err == f"medallion.py: {full}\n"


def test_a_damaged_silver_file_ends_the_gold_script_with_its_name(tmp_path: Path) -> None:
    """pyarrow's "Could not open Parquet input source '<Buffer>'" named no file, after two
    retries and four tracebacks; the script's last word is now the file and its repair."""
    damaged = (
        tmp_path / "lake" / "silver" / "wow_raid_events" / "v1" / "raid_id=raid001"
        / "event_date=2026-11-01" / "part-0.parquet"
    )  # fmt: skip
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"PAR1 cut short by a full disk")
    done = subprocess.run(
        [sys.executable, str(ROOT / "flows" / "silver_to_gold.py"), "--lake",
         str(tmp_path / "lake"), "--backend", "pandas", "--rebuild"],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"silver_to_gold.py: {damaged} is not readable Parquet"), last
    assert last.endswith("rebuild silver from bronze (README: Upgrading and reprocessing)")
    assert "Retry 1/2" not in done.stderr  # the same bytes again would not help


def _ingest_script_to_a_receiver(
    tmp_path: Path, receiver_token: str, token: str
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """``flows/ingest.py --token TOKEN`` (one raid of 5) posting to a ``raidlib serve`` that
    needs ``receiver_token``, its lake ``tmp_path/lake``; the receiver's URL and the run."""
    from tests.receiver.test_cli import _serve

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAIDLIB_")}
    env |= {"RAIDLIB_ENV_FILE": "", "PREFECT_HOME": str(tmp_path / "prefect")}
    with _serve(tmp_path / "lake", token=receiver_token) as url:
        done = subprocess.run(
            [sys.executable, str(ROOT / "flows" / "ingest.py"), "--raids", "1", "--players", "5",
             "--receiver-url", url, "--token", token],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    return url, done


@pytest.mark.e2e
def test_the_scripts_token_reaches_the_receiver_but_not_prefects_database(tmp_path: Path) -> None:
    """``--token`` went in as a flow parameter, which Prefect keeps in plain text in its
    database and shows in the UI (security audit); it now travels as the process's setting."""
    import sqlite3

    _, done = _ingest_script_to_a_receiver(tmp_path, "s3cr3t-t0k", "s3cr3t-t0k")
    assert done.returncode == 0, done.stderr[-3000:]
    assert " 0 rejected" in done.stdout and "accepted (" in done.stdout
    databases = list((tmp_path / "prefect").rglob("*.db"))
    assert databases
    for database in databases:
        with sqlite3.connect(database) as db:
            stored = [row[0] for row in db.execute("SELECT parameters FROM flow_run")]
        assert stored and not any("s3cr3t-t0k" in str(p) for p in stored), stored


@pytest.mark.e2e
@pytest.mark.parametrize("script", ["ingest", "import_combat_log"])
def test_a_receiver_that_needs_a_token_stops_the_script_at_once(
    script: str, tmp_path: Path
) -> None:
    """Without a token every batch came back 401 after the whole simulation or import."""
    from tests.receiver.test_cli import _serve

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAIDLIB_")}
    with _serve(tmp_path / "receiver-lake", token="t0k") as url:
        err = stopped_before_any_flow_run(
            ROOT / "flows" / f"{script}.py", tmp_path, env | {"RAIDLIB_ENV_FILE": ""},
            "--receiver-url", url,
        )  # fmt: skip
    assert f"{script}.py: the receiver at {url} needs a token: pass --token" in err


@pytest.mark.e2e
def test_a_token_the_receiver_refuses_ends_the_ingest_script_at_the_first_401(
    tmp_path: Path,
) -> None:
    url, done = _ingest_script_to_a_receiver(tmp_path, "t0k", "wrong")
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"ingest.py: the receiver at {url} refused the token given" in done.stderr
    assert not (tmp_path / "lake" / "bronze" / "_batches").exists()


@pytest.mark.parametrize("script", ["ingest", "import_combat_log"])
def test_a_token_no_client_could_send_stops_the_script_without_showing_it(
    script: str, tmp_path: Path
) -> None:
    """Checked inside the flow run, a bad --token failed the run with pydantic's message,
    which quoted it into Prefect's database and logs (review)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAIDLIB_")}
    err = stopped_before_any_flow_run(
        ROOT / "flows" / f"{script}.py", tmp_path, env | {"RAIDLIB_ENV_FILE": ""},
        "--token", "pässwörd",
    )  # fmt: skip
    assert "auth_token" in err and "printable ASCII" in err and "pässwörd" not in err


def test_a_settings_error_never_quotes_a_secret() -> None:
    from pydantic import ValidationError

    from raidlib.settings import Settings

    with pytest.raises(ValidationError) as bad:
        Settings(_env_file=None, auth_token="pässwörd")
    assert "pässwörd" not in str(bad.value)


@pytest.mark.parametrize(
    ("signame", "to_group"),
    [("SIGINT", True), ("SIGTERM", True), ("SIGINT", False)],
    ids=["ctrl-c", "sigterm-to-group", "sigint-to-script-alone"],
)
def test_ctrl_c_stops_a_script_on_the_temporary_server_at_once(
    signame: str, to_group: bool, tmp_path: Path
) -> None:
    """Ctrl-C reaches the whole process group, the temporary server too: Prefect then kept
    reporting the crashed run to the gone server for 1.5 to 5 minutes of tracebacks, exit 1
    (about 70 s for a SIGTERM to the group). A signal to the script alone must take the
    temporary server down with it."""
    import re
    import signal
    import time

    signum = getattr(signal, signame)

    env = environment_without_prefect_or_raidlib_settings(tmp_path)
    script = [sys.executable, str(ROOT / "flows" / "ingest.py"), "--raids", "200"]
    proc = subprocess.Popen(
        [*script, "--lake", str(tmp_path / "lake")],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal gives a command
    )
    assert proc.stdout is not None
    seen, port = [], None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # readline returns at EOF: bounded
        line = proc.stdout.readline()
        seen.append(line)
        found = re.search(r"Starting temporary server on http://127\.0\.0\.1:(\d+)", line)
        port = int(found.group(1)) if found else port
        if not line or "Beginning flow run" in line:
            break
    assert port is not None and "Beginning flow run" in seen[-1], "".join(seen)
    time.sleep(1.0)  # well inside the flow run, where Prefect's engine holds SIGTERM
    if to_group:
        os.killpg(proc.pid, signum)  # what Ctrl-C does
    else:
        os.kill(proc.pid, signum)
    try:
        rest, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("the script did not stop within 60 s of Ctrl-C") from None
    assert proc.returncode == 128 + signum, rest
    assert "interrupted: nothing half-written is in the lake" in rest
    assert "Traceback" not in rest and "Connection refused" not in rest, rest
    with socket.socket() as probe:  # the temporary server is gone with the script
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_quick_interrupt_ends_with_the_script_settings() -> None:
    """A library caller (or a test process) gets its own signal handlers and Prefect's SIGTERM
    bridge back when the block ends."""
    import signal

    import prefect.flow_engine as engine
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from raidlib.cli.flow_script import flow_script_settings

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    bridge = engine.capture_sigterm
    with temporary_settings(restore_defaults={PREFECT_API_URL}), flow_script_settings():
        assert signal.getsignal(signal.SIGINT) not in before
        assert engine.capture_sigterm is not bridge
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert engine.capture_sigterm is bridge


def test_ctrl_c_of_a_script_on_a_server_exits_130_saying_interrupted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On a real server the run is recorded, so the script says one word and exits as a shell
    expects of Ctrl-C (130), not as a failure (1)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from raidlib.cli.flow_script import flow_script_settings

    server = {PREFECT_API_URL: "http://127.0.0.1:9/api"}  # only its presence counts here
    with (
        temporary_settings(updates=server),
        pytest.raises(SystemExit) as stop,
        flow_script_settings(),
    ):
        raise KeyboardInterrupt
    assert stop.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


UNWRITABLE = "/sys/kernel/raidlib-test-lake"  # sysfs: no folder can be made there, even by root


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's sysfs")
@pytest.mark.parametrize("script", ["ingest", "import_combat_log"])
def test_a_lake_the_script_cannot_write_stops_it_before_any_flow_run(
    script: str, tmp_path: Path
) -> None:
    """It used to do the work, then end in a PermissionError traceback (exit 1)."""
    path = ROOT / "flows" / f"{script}.py"
    err = stopped_before_any_flow_run(path, tmp_path, dict(os.environ), "--lake", UNWRITABLE)
    assert f"{script}.py: bronze root {UNWRITABLE}/bronze cannot take files:" in err


@pytest.mark.parametrize("value", [0, -5])
def test_a_silver_task_size_below_one_is_refused_before_the_run(value: int) -> None:
    """``max_batches_per_task=-5`` ran and processed nothing ("no work"), 0 failed twice on
    retries with a bare range() error: Prefect now refuses it, naming the parameter."""
    from prefect.exceptions import ParameterTypeError

    from flows.bronze_to_silver import bronze_to_silver

    with pytest.raises(ParameterTypeError, match="max_batches_per_task"):
        bronze_to_silver.validate_parameters({"max_batches_per_task": value})


@pytest.mark.parametrize("raid_id", ["../x", "raid 1", ""])
def test_a_raid_id_the_lake_cannot_hold_is_refused_before_the_gold_run(raid_id: str) -> None:
    """``raid_ids=["../x"]`` failed in plan-gold-builds, retried twice (12 s) on a ValueError
    that can never pass, after warning that the raid's gold "is removed"."""
    from prefect.exceptions import ParameterTypeError

    from flows.silver_to_gold import silver_to_gold

    with pytest.raises(ParameterTypeError, match="raid_ids"):
        silver_to_gold.validate_parameters({"raid_ids": ["raid001", raid_id]})
    assert silver_to_gold.validate_parameters({"raid_ids": ["raid001"]})["raid_ids"] == ["raid001"]


@pytest.mark.parametrize(
    ("name", "value"), [("duplicate_rate", 1.5), ("late_rate", -0.1), ("seed", -1)]
)
def test_demo_refuses_a_rate_outside_zero_to_one_before_starting(name: str, value: float) -> None:
    """The demo started its receiver and failed later, inside the generator, on these."""
    from prefect.exceptions import ParameterTypeError

    from flows.demo import demo

    with pytest.raises(ParameterTypeError, match=name):
        demo.validate_parameters({name: value})


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_options_refuse_what_the_flow_parameter_refuses(
    script: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``demo.py --seed -1`` passed argparse and failed in Prefect's parameter check with a
    traceback: every option bound to a parameter with a lower bound refuses a value below it."""
    monkeypatch.syspath_prepend(str(ROOT))
    flow, parser = flow_and_parser(script)
    fields = flow.parameters.properties
    for action in parser._actions:
        schema = fields.get(action.dest, {})
        lowest = schema.get("minimum", schema.get("exclusiveMinimum"))
        if lowest is None or not action.option_strings:
            continue
        below = lowest - 1 if "minimum" in schema else lowest
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([action.option_strings[0], str(below)])
        assert exited.value.code == 2, f"{script.name} {action.option_strings[0]} {below}"
        assert "usage:" in capsys.readouterr().err
