"""Bad input through ``raidlib import-log``: a clear message and exit 2, never a traceback;
a damaged line is one malformed line, never the end of the import."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from raidlib.cli import main
from raidlib.combatlog import import_events

from .conftest import ALICE, BOSS, HDR22, LOOM, block19, unit

STAMP = "2/16/2026 22:48:05.1230"
HIT = f'SPELL_DAMAGE,{unit(ALICE, "Alice-Realm-EU", BOSS, LOOM)},133,"Fireball",0x4'


def _pull(n_hits: int) -> list[str]:
    """One pull with ``n_hits`` distinct SPELL_DAMAGE rows (about 270 bytes each)."""
    hits = [
        f"{HIT},{block19(BOSS, hp=10**6 - i)},{i + 1},{i + 1},-1,4,0,0,0,nil,nil,nil,ST"
        for i in range(n_hits)
    ]
    rows = [HDR22, f'ENCOUNTER_START,3131,"{LOOM}",15,20,2810', *hits]
    return [f"{STAMP}  {row}" for row in [*rows, f'ENCOUNTER_END,3131,"{LOOM}",15,20,1,9000']]


def _import(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["import-log", str(log), "--lake", str(tmp_path / "lake"), "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _landed(tmp_path: Path) -> list[dict]:
    files = sorted((tmp_path / "lake" / "bronze").rglob("*.jsonl"))
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


def test_a_log_cut_off_mid_line_lands_every_complete_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The client was still writing: the file ends without a line feed (progress reporting
    asks the file for its position after the last line, so it must still be open)."""
    log = tmp_path / "WoWCombatLog.txt"
    log.write_bytes("\n".join(_pull(3)).encode())
    code, out, err = _import(log, tmp_path, capsys)
    assert code == 0, err
    assert len(_landed(tmp_path)) == 5


@pytest.mark.parametrize("cut_after", ["ENC", f'ENCOUNTER_END,3131,"{LOOM}",15,20,'])
def test_a_last_line_cut_short_is_malformed_not_read_as_an_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cut_after: str
) -> None:
    log = tmp_path / "WoWCombatLog.txt"
    log.write_text("\n".join([*_pull(3)[:-1], f"{STAMP}  {cut_after}"]), encoding="utf-8")
    code, out, err = _import(log, tmp_path, capsys)
    assert code == 0, err
    assert "malformed lines: 1" in out and "line 6:" in out
    assert len(_landed(tmp_path)) == 4  # the start and the three hits; the pull has no end
    assert "unknown" in out and "kill" not in out


def test_a_file_object_passed_in_is_left_open(tmp_path: Path) -> None:
    log = tmp_path / "WoWCombatLog.txt"
    log.write_bytes("\n".join(_pull(3)).encode())
    with open(log, "rb") as handle:
        batches, _ = import_events(handle, raid_id="night")
        assert sum(len(batch) for batch in batches) == 5
        assert not handle.closed and handle.tell() == log.stat().st_size


@pytest.mark.parametrize(
    "content", [b"", b"\r\n\r\n", b"\x00\x01\xff" * 100], ids=["empty", "blank-lines", "binary"]
)
def test_a_log_without_rows_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_bytes(content)
    code, _, err = _import(log, tmp_path, capsys)
    assert (code, err.strip()) == (2, f"raidlib import-log: no combat log rows in {log}")
    assert "Traceback" not in err and not _landed(tmp_path)


def test_the_check_before_an_import_reads_only_the_start_of_a_file(tmp_path: Path) -> None:
    """A big file without a line feed (a disk image given by mistake) is not read whole (nor
    held in memory) to find that it holds no combat log row."""
    from raidlib.combatlog.delivery import log_start_problem

    big = tmp_path / "WoWCombatLog.txt"
    with open(big, "wb") as out:
        out.truncate(64 << 20)  # sparse: 64 MiB of NUL bytes
    assert log_start_problem(big) == f"no combat log rows in the first 1 MiB of {big}"
    rows = tmp_path / "rows.txt"  # a row only past the first MiB: no real log, refused too
    rows.write_bytes(b"x\n" * (1 << 20) + f"{STAMP}  {HDR22}\n".encode())
    assert log_start_problem(rows) == f"no combat log rows in the first 1 MiB of {rows}"
    rows.write_bytes(f"{STAMP}  {HDR22}\n".encode())
    assert log_start_problem(rows) is None


def test_a_truncated_gzip_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = ("\r\n".join(_pull(12_000)) + "\r\n").encode()  # ~3 MB: more than one 1 MiB read
    log = tmp_path / "WoWCombatLog-021626_224800.txt.gz"
    packed = gzip.compress(whole)
    log.write_bytes(packed[: len(packed) * 3 // 4])
    code, _, err = _import(log, tmp_path, capsys)
    assert code == 2 and "Traceback" not in err
    assert f"error: {log} is truncated: its gzip stream ends early (after line " in err
    assert "importing the complete file again is safe" in err
    # What was read before the cut landed; the complete file adds the rest, each event once
    # in silver (bronze may hold an event twice: the batches were cut elsewhere).
    before = {e["event_id"] for e in _landed(tmp_path)}
    assert before
    log.write_bytes(packed)
    code, _, _ = _import(log, tmp_path, capsys)
    after = {e["event_id"]: e["event_type"] for e in _landed(tmp_path)}
    assert code == 0 and before < set(after)
    assert list(after.values()).count("combat_damage") == 12_000


def test_a_control_byte_and_bad_utf8_on_one_line_is_one_malformed_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [row.encode() for row in _pull(3)]
    lines.insert(3, f"{STAMP}  {HIT},\x01,".encode() + b"\xff\xfe broken")  # line 4
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_bytes(b"\r\n".join(lines) + b"\r\n")
    code, out, err = _import(log, tmp_path, capsys)
    assert code == 0 and "Traceback" not in err, err
    assert "malformed lines: 1" in out and "line 4: line holds control byte 0x01" in out
    assert sum(e["event_type"] == "combat_damage" for e in _landed(tmp_path)) == 3


def test_the_summary_lists_malformed_lines_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each chunk's bad lines were reported grouped by kind (control bytes first), so the
    "first" lines listed were not the first in the file, and the kept list was not either."""
    lines = [row.encode() for row in _pull(3)]
    lines.insert(2, b"garbage without a time stamp")  # line 3
    lines.insert(4, f"{STAMP}  {HIT},\x01,".encode())  # line 5
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = _import(log, tmp_path, capsys)
    assert code == 0, err
    assert "line 3: no '<timestamp>  EVENT,' prefix, line 5: line holds control byte" in out

    from raidlib.combatlog.report import MAX_MALFORMED_KEPT, ParseReport

    report = ParseReport()
    for line in [*range(10, 10 + MAX_MALFORMED_KEPT), 5, 3]:
        report.add_malformed(line, "x")
    assert report.malformed_count == MAX_MALFORMED_KEPT + 2
    assert [n for n, _ in report.malformed[:3]] == [3, 5, 10]
    assert len(report.malformed) == MAX_MALFORMED_KEPT


def test_a_byte_order_mark_crlf_and_no_final_newline_change_nothing(tmp_path: Path) -> None:
    rows = [row.encode() for row in _pull(3)]
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"\n".join(rows) + b"\n")
    edited = tmp_path / "edited.txt"
    edited.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(rows))

    def events(path: Path) -> list[dict]:
        batches, report = import_events(path, raid_id="night")
        assert report.malformed_count == 0
        return [e for batch in batches for e in batch]

    assert events(edited) == events(plain) and len(events(plain)) == 5


def test_lines_that_are_not_utf8_are_counted_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An editor re-saved the log as Latin-1: the accented name is not UTF-8 any more."""
    died = f'{STAMP}  UNIT_DIED,0000000000000000,nil,0x80000000,0x80000000,{ALICE},"Willòwí"'
    lines = [row.encode() for row in _pull(2)]
    lines.insert(4, f"{died},0x514,0x80000000,0".encode("latin-1"))  # line 5
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_bytes(b"\n".join(lines) + b"\n")
    code, out, _ = _import(log, tmp_path, capsys)
    assert code == 0 and "malformed lines: 0" in out
    assert "1 line(s) held bytes that are not UTF-8 (line 5)" in " ".join(out.split())
    assert "Windows-1252" in out
    [death] = [e for e in _landed(tmp_path) if e["event_type"] == "player_death"]
    assert death["target_entity_name"] == "Will\ufffdw\ufffd"
    batches, report = import_events(log)
    list(batches)  # the report is complete once they are all read
    assert (report.not_utf8_count, report.not_utf8_lines) == (1, [5])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_log_exits_2_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_bytes(("\r\n".join(_pull(2)) + "\r\n").encode(encoding))
    code, _, err = _import(log, tmp_path, capsys)
    assert code == 2 and "Traceback" not in err
    assert err.startswith(
        f"raidlib import-log: {log} looks like UTF-16 text, but the client writes UTF-8"
    )
    assert "iconv -f UTF-16 -t UTF-8" in err and not _landed(tmp_path)


def test_a_lake_it_cannot_write_exits_2_before_reading_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to read the whole log, then end in a PermissionError traceback (exit 1)."""
    import tempfile

    import raidlib.combatlog as combatlog

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    def must_not_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the log was read before the lake was checked")

    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_text("\n".join(_pull(3)) + "\n", encoding="utf-8")
    monkeypatch.setattr(tempfile, "TemporaryFile", refused)  # as root, chmod would not stop it
    monkeypatch.setattr(combatlog, "import_events", must_not_read)
    code, _, err = _import(log, tmp_path, capsys)
    assert code == 2 and "Traceback" not in err
    assert err.strip() == (
        f"raidlib import-log: bronze root {tmp_path / 'lake' / 'bronze'} cannot take files: "
        "Permission denied"
    )


def test_a_full_disk_exits_2_naming_the_file_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`raidlib import-log` onto a full disk ended in an "[Errno 28] No space left on device"
    traceback. (A real full disk needs root to mount: the writes' fsync fails as its does.)"""
    import errno
    import os

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    log = tmp_path / "WoWCombatLog.txt"
    log.write_text("\n".join(_pull(3)), encoding="utf-8")
    monkeypatch.setattr(os, "fsync", disk_full)
    code, _, err = _import(log, tmp_path, capsys)
    bronze = tmp_path / "lake" / "bronze" / "wow_raid_events" / "v1"
    assert (code, err.count("\n")) == (2, 1), err
    assert err.startswith(f"raidlib import-log: disk full writing {bronze}/raid_id=")
    assert err.endswith(": free space and run the same command again (nothing is half-written)\n")
    assert not [p for p in (tmp_path / "lake").rglob("*") if p.is_file()]
