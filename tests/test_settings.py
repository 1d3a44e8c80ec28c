"""Where settings come from: the environment, a dotenv file chosen by RAIDLIB_ENV_FILE, arguments."""

from __future__ import annotations

from pathlib import Path

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
        ("s3_endpoint_url", "localhost:9100", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "minio:9000", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "ftp://minio:9000", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "http://", "not an http:// or https:// URL with a host"),
        ("s3_endpoint_url", "http://minio:90000", "has a bad port"),
    ],
)
def test_a_bad_s3_root_or_endpoint_is_named_with_its_reason(
    field: str, value: str, reason: str
) -> None:
    """Else ``s3:/bronze`` is a local folder named ``s3:``, and a bad bucket or endpoint fails
    mid-run."""
    with pytest.raises(ValidationError) as bad:
        Settings(**{field: value})
    text = describe_invalid_settings(bad.value)
    assert f"env RAIDLIB_{field.upper()}" in text and reason in text and repr(value) in text


def test_an_s3_root_keeps_its_prefix_and_gets_a_lower_case_scheme() -> None:
    settings = Settings(bronze_root="S3://bronze/raw", gold_root="s3://my-lake.2026/gold/")
    assert settings.bronze_root == "s3://bronze/raw"
    assert settings.gold_root == "s3://my-lake.2026/gold/"


def test_an_s3_endpoint_may_be_http_or_https_or_unset() -> None:
    assert Settings(s3_endpoint_url="https://s3.eu-west-1.amazonaws.com").s3_endpoint_url
    assert Settings(s3_endpoint_url="http://127.0.0.1:9000").s3_endpoint_url
    assert Settings(s3_endpoint_url="").s3_endpoint_url is None


@pytest.mark.parametrize("name", ["s3_connect_timeout_s", "s3_read_timeout_s"])
def test_s3_timeouts_must_be_positive(name: str) -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(**{name: 0})
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


def test_an_invalid_setting_is_described_by_its_variable_and_never_echoes_a_secret() -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(max_clock_skew_s=-5, auth_token=31337)
    text = describe_invalid_settings(bad.value)
    assert "setting max_clock_skew_s (env RAIDLIB_MAX_CLOCK_SKEW_S)" in text and "-5" in text
    assert "setting auth_token (env RAIDLIB_AUTH_TOKEN)" in text and "31337" not in text


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


def test_an_env_file_that_is_not_utf8_is_named_in_one_line(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PowerShell 5's ``"RAIDLIB_BACKEND=pandas" > .env`` writes UTF-16: that was a
    22-frame UnicodeDecodeError traceback."""
    (in_tmp / ".env").write_bytes("RAIDLIB_BACKEND=pandas\r\n".encode("utf-16"))
    monkeypatch.delenv("RAIDLIB_ENV_FILE", raising=False)
    with pytest.raises(ValidationError) as bad:
        Settings()
    text = describe_invalid_settings(bad.value)
    assert "setting env_file (" in text and "is not UTF-8 text" in text and "'.env'" in text


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
