"""Where settings come from: the environment, a dotenv file chosen by RAIDLIB_ENV_FILE, arguments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from raidlib.settings import Settings, describe_invalid_settings


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dotenv_in_working_directory_is_read_by_default(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / ".env").write_text("RAIDLIB_BACKEND=pandas\nRAIDLIB_GOLD_ROOT=/data/gold\n")
    monkeypatch.delenv("RAIDLIB_ENV_FILE")

    settings = Settings()

    assert settings.backend == "pandas"
    assert settings.gold_root == "/data/gold"


def test_env_file_variable_picks_another_file(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / ".env").write_text("RAIDLIB_GOLD_ROOT=/from/dot-env\n")
    (in_tmp / "staging.env").write_text("RAIDLIB_GOLD_ROOT=s3://gold-staging/\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", str(in_tmp / "staging.env"))

    assert Settings().gold_root == "s3://gold-staging/"


def test_empty_env_file_variable_reads_no_file(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / ".env").write_text("RAIDLIB_GOLD_ROOT=/from/dot-env\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", "")

    assert Settings().gold_root == "./lake/gold"


def test_a_bad_value_from_the_dotenv_file_is_named_there_not_in_the_shell(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / "staging.env").write_text("RAIDLIB_BACKEND=gpu\nRAIDLIB_RECEIVER_PORT=80x\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", "staging.env")
    monkeypatch.setenv("RAIDLIB_RECEIVER_PORT", "eighty")  # the shell wins over the file
    with pytest.raises(ValidationError) as bad:
        Settings()
    text = describe_invalid_settings(bad.value)
    assert "setting backend (RAIDLIB_BACKEND in staging.env): " in text and "'gpu'" in text
    assert "setting receiver_port (env RAIDLIB_RECEIVER_PORT): " in text and "'eighty'" in text


def test_a_mistyped_env_file_is_an_error_not_the_defaults(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAIDLIB_ENV_FILE", str(in_tmp / "stagign.env"))
    with pytest.raises(ValidationError) as bad:
        Settings()
    text = describe_invalid_settings(bad.value)
    assert "env RAIDLIB_ENV_FILE" in text and "names no file" in text and "stagign.env" in text


@pytest.mark.parametrize(
    ("root", "reason"),
    [("", "is empty"), ("  ", "is empty"), ("s3://", "no bucket"), ("s3:///", "no bucket")],
)
def test_a_lake_root_must_name_a_folder_or_a_bucket(root: str, reason: str) -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(silver_root=root)
    assert reason in describe_invalid_settings(bad.value)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("bronze_root", "s3:/bronze", "not an s3://bucket[/prefix] URL"),
        ("bronze_root", "s3:bronze", "not an s3://bucket[/prefix] URL"),
        ("bronze_root", "S3:bronze", "not an s3://bucket[/prefix] URL"),
        ("bronze_root", "s3://Bronze", "names no valid bucket: 'Bronze'"),
        ("bronze_root", "s3://my_lake/bronze", "names no valid bucket: 'my_lake'"),
        ("bronze_root", "s3://ab", "names no valid bucket: 'ab'"),
        ("bronze_root", "s3://" + "b" * 64, "names no valid bucket: '" + "b" * 64 + "'"),
        ("s3_endpoint_url", "localhost:9100", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "minio:9000", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "ftp://minio:9000", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "http://", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "http://minio:90000", "has a bad port"),
    ],
)
def test_a_bad_s3_root_or_endpoint_is_named_with_its_reason(
    field: str, value: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else ``s3:/bronze`` is a local folder named ``s3:``, and a bad bucket or endpoint fails
    mid-run."""
    monkeypatch.setenv(f"RAIDLIB_{field.upper()}", value)
    with pytest.raises(ValidationError) as bad:
        Settings()
    text = describe_invalid_settings(bad.value)
    assert f"env RAIDLIB_{field.upper()}" in text and reason in text and repr(value) in text


def test_an_s3_root_keeps_its_prefix_and_gets_a_lower_case_scheme() -> None:
    settings = Settings(bronze_root="S3://bronze/raw", gold_root="s3://my-lake.2026/gold/")
    assert settings.bronze_root == "s3://bronze/raw"
    assert settings.gold_root == "s3://my-lake.2026/gold/"
    longest = "s3://" + "b" * 63 + "/silver"  # S3 allows bucket names up to 63 characters
    assert Settings(silver_root=longest).silver_root == longest


def test_an_s3_endpoint_may_be_http_or_https_or_unset() -> None:
    assert Settings(s3_endpoint_url="https://s3.eu-west-1.amazonaws.com").s3_endpoint_url
    assert Settings(s3_endpoint_url="http://127.0.0.1:9000").s3_endpoint_url
    assert Settings(s3_endpoint_url="").s3_endpoint_url is None


@pytest.mark.parametrize("name", ["s3_connect_timeout_s", "s3_read_timeout_s"])
def test_s3_timeouts_must_be_positive(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"RAIDLIB_{name.upper()}", "0")
    with pytest.raises(ValidationError) as bad:
        Settings()
    assert f"env RAIDLIB_{name.upper()}" in describe_invalid_settings(bad.value)


def test_environment_beats_file_and_arguments_beat_both(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / ".env").write_text("RAIDLIB_BACKEND=cudf\nRAIDLIB_SLOT_WAIT_S=5\n")
    monkeypatch.delenv("RAIDLIB_ENV_FILE")
    monkeypatch.setenv("RAIDLIB_BACKEND", "pandas")

    settings = Settings(slot_wait_s=7)

    assert settings.backend == "pandas"
    assert settings.slot_wait_s == 7


def test_the_suite_never_reads_a_developers_dotenv(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / ".env").write_text("RAIDLIB_BRONZE_ROOT=s3://someones-real-bucket/\n")

    assert Settings().bronze_root == "./lake/bronze"


def test_an_invalid_setting_is_described_by_its_variable_and_never_echoes_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAIDLIB_MAX_CLOCK_SKEW_S", "-5")
    with pytest.raises(ValidationError) as bad:
        Settings(auth_token=31337)
    text = describe_invalid_settings(bad.value)
    assert "setting max_clock_skew_s (env RAIDLIB_MAX_CLOCK_SKEW_S)" in text and "-5" in text
    assert "setting auth_token (as given on the command line" in text and "31337" not in text


def test_env_example_lists_every_setting() -> None:
    """``.env.example`` is where users look up a knob: a new setting must appear there."""
    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    prefix = Settings.model_config["env_prefix"]
    missing = [
        f"{prefix}{f.upper()}"
        for f in Settings.model_fields
        if f"{prefix}{f.upper()}=" not in example
    ]
    assert not missing, f".env.example does not mention {', '.join(missing)}"


def test_env_example_values_are_valid_as_written(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uncommenting any line of ``.env.example`` as it stands must not break every command."""
    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    lines = [
        line.removeprefix("# ").split(" #")[0].rstrip()
        for line in example.splitlines()
        if line.startswith(("# RAIDLIB_", "RAIDLIB_"))
    ]
    (in_tmp / "all.env").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", str(in_tmp / "all.env"))
    Settings()
    # ... and each setting's first line is its default (the later MinIO block is an example):
    # PARALLEL_TASKS=2 and GOLD_TASK_SILVER_MIB=8 were the pandas values, which changed cuDF's
    first = {}
    for line in lines:
        first.setdefault(line.split("=", 1)[0], line)
    (in_tmp / "first.env").write_text("\n".join(first.values()) + "\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", str(in_tmp / "first.env"))
    for name in [n for n in os.environ if n.startswith("RAIDLIB_") and n != "RAIDLIB_ENV_FILE"]:
        monkeypatch.delenv(name)  # the suite's own settings
    examples_only = {"s3_endpoint_url", "s3_access_key_id", "s3_secret_access_key", "s3_region"}
    assert Settings().model_dump(exclude=examples_only) == Settings(_env_file=None).model_dump(
        exclude=examples_only
    )


@pytest.mark.parametrize(
    ("chosen", "named"),
    [(None, "./.env (read by default)"), ("staging.env", "staging.env (env RAIDLIB_ENV_FILE)")],
)
def test_an_env_file_that_is_not_utf8_is_named_in_one_line(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, chosen: str | None, named: str
) -> None:
    """PowerShell 5's ``"RAIDLIB_BACKEND=pandas" > .env`` writes UTF-16: that was a
    22-frame UnicodeDecodeError traceback, then a line blaming the command line for it."""
    (in_tmp / (chosen or ".env")).write_bytes("RAIDLIB_BACKEND=pandas\r\n".encode("utf-16"))
    if chosen is None:
        monkeypatch.delenv("RAIDLIB_ENV_FILE", raising=False)
    else:
        monkeypatch.setenv("RAIDLIB_ENV_FILE", chosen)
    with pytest.raises(ValidationError) as bad:
        Settings()
    assert describe_invalid_settings(bad.value) == (
        f"{named} is not UTF-8 text (PowerShell 5's '>' writes UTF-16): save it as UTF-8"
    )


def _unreadable(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening ``name`` fails as a file without read permission does (the suite runs as root
    in some places, where chmod 000 does not stop reads)."""
    import builtins

    real_open = builtins.open

    def open_(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == name:
            raise PermissionError(13, "Permission denied", name)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", open_)


def test_an_env_file_that_cannot_be_read_is_one_line_not_two_tracebacks(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``.env`` without read permission ended every command in a PermissionError traceback,
    raised again while handling it (error-UX audit)."""
    from raidlib.cli import main

    (in_tmp / ".env").write_text("RAIDLIB_BACKEND=pandas\n")
    monkeypatch.delenv("RAIDLIB_ENV_FILE", raising=False)
    _unreadable(".env", monkeypatch)

    assert main(["send", "--url", "http://127.0.0.1:9", "--raids", "1", "--no-progress"]) == 2
    assert capsys.readouterr().err == (
        "raidlib send: ./.env (read by default) cannot be read (Permission denied): fix its "
        "permissions, or set RAIDLIB_ENV_FILE= to read none\n"
    )


@pytest.mark.parametrize(
    ("token", "expected"), [("", None), ("s3cret ", "s3cret"), (" s3cret", "s3cret")]
)
def test_a_token_is_what_a_client_can_send(token: str, expected: str | None) -> None:
    """A trailing blank from a .env line locked every client out with 401 (security audit)."""
    assert Settings(_env_file=None, auth_token=token).auth_token == expected


@pytest.mark.parametrize(
    ("token", "reason"), [("   ", "is only spaces"), ("pässword", "printable ASCII")]
)
def test_a_token_no_client_could_send_is_refused_without_echoing_it(
    token: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(_env_file=None, auth_token=token)
    text = describe_invalid_settings(bad.value)
    assert reason in text and repr(token) not in text and "got" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sse_stall_timeout_s", "inf"),  # crashed `raidlib serve` with an OverflowError
        ("s3_connect_timeout_s", "nan"),  # was blamed on the bronze root
        ("enrage_timer_ms", "99999999999999999999"),  # failed build-raid-gold after silver
        ("gpu_memory_limit_mib", "inf"),
    ],
)
def test_an_infinite_or_absurd_number_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"RAIDLIB_{name.upper()}", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_invalid_settings(caught.value).startswith(
        f"setting {name} (env RAIDLIB_{name.upper()}): Input should be"
    )


def test_a_bad_option_is_not_blamed_on_a_variable_the_user_never_set(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--bronze-root s3:/bronze`` was reported as ``(env RAIDLIB_BRONZE_ROOT)``."""
    monkeypatch.setenv("RAIDLIB_BRONZE_ROOT", "/data/bronze")  # a good value, overridden
    with pytest.raises(ValidationError) as caught:
        Settings(bronze_root="s3:/bronze")
    assert describe_invalid_settings(caught.value).startswith(
        "setting bronze_root (as given on the command line or as a flow parameter): "
    )


@pytest.mark.parametrize("lake", ["", " "])
def test_a_blank_lake_is_refused_not_the_filesystem_root_or_the_default(lake: str) -> None:
    """``--lake " "`` put the lake at /bronze, /silver, /gold; ``--lake ""`` used ./lake."""
    from raidlib.runconfig import settings_for_run

    with pytest.raises(ValidationError) as caught:
        settings_for_run(lake)
    assert "setting lake (as given on the command line or as a flow parameter): " in (
        describe_invalid_settings(caught.value)
    )
    assert settings_for_run(" /data/lake/ ").bronze_root == "/data/lake/bronze"


def test_a_misspelled_variable_is_warned_about_once_with_the_likely_name(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``RAIDLIB_BACKNED=pandas`` was silently ignored, in the environment and in ``.env``."""
    import raidlib.settings

    monkeypatch.setattr(raidlib.settings, "_noted_unknown", set())
    monkeypatch.setenv("RAIDLIB_BACKNED", "pandas")
    (in_tmp / "my.env").write_text("RAIDLIB_GOLD_TASK_SILVER_MB=4\nRAIDLIB_BACKEND=pandas\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", "my.env")
    monkeypatch.setenv("RAIDLIB_RECEIVER_PORT", "abc")  # the typo may be why this is wrong
    with caplog.at_level("WARNING", logger="raidlib.settings"):
        with pytest.raises(ValidationError):
            Settings()
        Settings(receiver_port=8000)
    assert [r.getMessage() for r in caplog.records] == [
        "RAIDLIB_BACKNED is not a raidlib setting and is ignored (did you mean RAIDLIB_BACKEND?)",
        "RAIDLIB_GOLD_TASK_SILVER_MB in my.env is not a raidlib setting and is ignored "
        "(did you mean RAIDLIB_GOLD_TASK_SILVER_MIB?)",
    ]


def test_a_child_gets_the_settings_read_here_with_absolute_roots_and_no_dotenv(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`raidlib up` started outside the checkout read ./.env; its receiver, started in the
    checkout, did not: the token was dropped and bronze went elsewhere (config audit)."""
    from raidlib.settings import settings_environment

    for name in [n for n in os.environ if n.startswith("RAIDLIB_")]:  # the suite's own
        monkeypatch.delenv(name)
    (in_tmp / ".env").write_text(
        "RAIDLIB_AUTH_TOKEN=secret123\nRAIDLIB_BRONZE_ROOT=./mine/bronze\n"
        "RAIDLIB_SILVER_ROOT=file://mine/silver\n"
        "RAIDLIB_GOLD_ROOT=s3://gold/x\nRAIDLIB_S3_VERIFY_TLS=false\n"
    )
    env = settings_environment(Settings(backend="pandas"), str(in_tmp))
    assert env == {
        "RAIDLIB_ENV_FILE": "",
        "RAIDLIB_AUTH_TOKEN": "secret123",
        "RAIDLIB_BACKEND": "pandas",
        "RAIDLIB_BRONZE_ROOT": str(in_tmp / "mine" / "bronze"),
        "RAIDLIB_SILVER_ROOT": str(in_tmp / "mine" / "silver"),
        "RAIDLIB_GOLD_ROOT": "s3://gold/x",
        "RAIDLIB_S3_VERIFY_TLS": "false",
    }
    # ... and a child reading only that environment, elsewhere, gets the same settings
    elsewhere = in_tmp / "checkout"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text("RAIDLIB_AUTH_TOKEN=other\n")
    monkeypatch.chdir(elsewhere)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    child = Settings()
    assert (child.auth_token, child.bronze_root, child.s3_verify_tls) == (
        "secret123",
        str(in_tmp / "mine" / "bronze"),
        False,
    )


def test_a_raidlib_line_the_dotenv_file_cannot_parse_stops_the_command(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """python-dotenv skipped ``RAIDLIB_AUTH_TOKEN='abc`` with a nameless warning, twice, and the
    receiver then ran with no auth at all (error-UX audit)."""
    (in_tmp / ".env").write_text("RAIDLIB_AUTH_TOKEN='abc\nRAIDLIB_RECEIVER_PORT=8001\n")
    monkeypatch.delenv("RAIDLIB_ENV_FILE", raising=False)
    with caplog.at_level("WARNING"), pytest.raises(ValidationError) as bad:
        Settings()
    assert describe_invalid_settings(bad.value) == (
        "./.env (read by default) line 1 could not be parsed (unclosed quote?), so "
        "RAIDLIB_AUTH_TOKEN would not be set from it: fix the line (quote a value whole or "
        "not at all)"
    )
    assert "abc" not in describe_invalid_settings(bad.value)  # a token is never echoed
    assert not caplog.records


def test_another_line_the_dotenv_file_cannot_parse_is_named_once(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A line naming no RAIDLIB_ variable sets nothing raidlib reads: a warning naming the file
    and the line, once, instead of python-dotenv's nameless one on every read."""
    import raidlib.dotenv_file

    monkeypatch.setattr(raidlib.dotenv_file, "_noted_unparsed", set())
    (in_tmp / "my.env").write_text("OTHER_TOOL='x\nRAIDLIB_BACKEND=pandas\n")
    monkeypatch.setenv("RAIDLIB_ENV_FILE", "my.env")
    with caplog.at_level("WARNING"):
        assert Settings().backend == "pandas"
        assert Settings().backend == "pandas"
    assert [r.getMessage() for r in caplog.records] == [
        "my.env line 1 could not be parsed (unclosed quote?) and is ignored (it sets no "
        "RAIDLIB_ setting)"
    ]


def test_a_line_of_another_tool_that_mentions_raidlib_in_its_value_is_only_warned_about(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a RAIDLIB_ name where the line sets a variable makes an unparseable line fatal: a
    value mentioning ``raidlib_dev`` refused the whole file (review)."""
    import raidlib.dotenv_file

    monkeypatch.setattr(raidlib.dotenv_file, "_noted_unparsed", set())
    (in_tmp / ".env").write_text(
        'EDITOR_CMD="code --profile raidlib_dev" --wait\nRAIDLIB_BACKEND=pandas\n'
    )
    monkeypatch.delenv("RAIDLIB_ENV_FILE", raising=False)
    with caplog.at_level("WARNING"):
        assert Settings().backend == "pandas"
    assert [r.getMessage() for r in caplog.records] == [
        ".env line 1 could not be parsed and is ignored (it sets no RAIDLIB_ setting)"
    ]
