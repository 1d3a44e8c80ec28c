"""Real and hand-made combat logs through the whole product: import → bronze → silver → gold.

The shipped real logs (``<workspace>/shared/data/combatlogs``) are imported into a temporary
lake with the library call behind ``raidlib import-log``, then the ``medallion`` flow builds
silver and gold (under the session's Prefect test harness); the per-pull gold tables are
checked against what the log says (ENCOUNTER_END success and fightTime, the 25 players'
classes from COMBATANT_INFO, pets folded into owners).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from raidlib.backend import resolve_backend
from raidlib.cli import main
from raidlib.combatlog import encounters
from raidlib.combatlog.delivery import import_log
from raidlib.lake import Lake
from raidlib.lake.gold_store import read_gold_table, read_silver_for_raids
from raidlib.runconfig import settings_for_run

from .conftest import (
    ALICE,
    BOB,
    BOSS,
    HDR9_CLASSIC,
    HDR22,
    NONE4,
    block16,
    block19,
    unit,
    write_log,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from flows.medallion import medallion  # noqa: E402

pytestmark = pytest.mark.usefixtures("dated_events_stay_young")  # the logs are of 2026 and older

DATA = Path(__file__).parents[3] / "shared" / "data" / "combatlogs"
KILL = DATA / "enc-3131-pull-1-loom-ithar.log.gz"
WIPE = DATA / "enc-3135-pull-1-dimensius-the-all-devouring.log.gz"
PANDAS = resolve_backend("pandas")

needs_real_logs = pytest.mark.skipif(
    not (KILL.is_file() and WIPE.is_file()),
    reason=f"the shipped real combat logs are not in {DATA} (workspace shared/data)",
)

# Classes of the kill's 25 players from their COMBATANT_INFO specs (cross-checked with the
# abilities they used in tests/combatlog/test_import.py).
KILL_CLASSES = {
    "death_knight": 6,
    "mage": 4,
    "monk": 4,
    "demon_hunter": 2,
    "druid": 2,
    "priest": 2,
    "rogue": 2,
    "shaman": 2,
    "warrior": 1,
}


def gold(lake: Lake, name: str) -> pd.DataFrame:
    return read_gold_table(lake, name, PANDAS)


def lake_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_state" not in p.parts
    }


@pytest.fixture(scope="module")
def real_lake(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both real logs imported into one lake, then one medallion run."""
    if not (KILL.is_file() and WIPE.is_file()):
        pytest.skip(f"the shipped real combat logs are not in {DATA}")
    root = tmp_path_factory.mktemp("clog-lake")
    lake = Lake.from_settings(settings_for_run(str(root)))
    imports = [import_log(path, lake=lake) for path in (KILL, WIPE)]
    run = medallion(lake=str(root), backend="pandas")
    return {"root": root, "lake": lake, "imports": imports, "run": run}


@needs_real_logs
def test_import_lands_everything_and_reports_pulls(real_lake: dict[str, Any]) -> None:
    kill, wipe = real_lake["imports"]
    for result in (kill, wipe):
        assert result.ok and result.report.malformed_count == 0
        assert result.accepted == result.batches > 0 and result.duplicate == 0
        assert result.events_landed == result.events == sum(result.report.emitted.values())
    assert kill.encounters[["boss", "difficulty", "outcome", "duration_s"]].values.tolist() == [
        ["Loom'ithar", "normal", "kill", 97.7]
    ]
    assert wipe.encounters[["encounter_id", "outcome", "duration_s"]].values.tolist() == [
        ["3135-1", "wipe", 21.0]
    ]
    assert real_lake["run"]["silver"]["rows_quarantined"] == 0


@needs_real_logs
def test_kill_and_wipe_and_fight_time_in_gold(real_lake: dict[str, Any]) -> None:
    lake, root = real_lake["lake"], real_lake["root"]
    pulls = gold(lake, "fact_encounter_summary").set_index("encounter_id")
    assert list(pulls.index) == ["3131-1", "3135-1"]
    assert pulls.loc["3131-1", "outcome"] == "kill"
    assert pulls.loc["3135-1", "outcome"] == "wipe"
    assert pulls.loc["3131-1", "boss_name"] == "Loom'ithar"
    assert pulls.loc["3131-1", "difficulty"] == "normal"
    for pull, path in (("3131-1", KILL), ("3135-1", WIPE)):
        fight_time = int(encounters(path)["fight_time_ms"].iloc[0])
        assert abs(int(pulls.loc[pull, "duration_ms"]) - fight_time) <= 1000
        raid = pulls.loc[pull, "raid_id"]
        # Hive partitions: <table>/raid_id=<raid>/event_date=<UTC date of the pull's start>/
        for table in ("fact_encounter_summary", "fact_player_encounter_stats"):
            folder = root / "gold" / table / f"raid_id={raid}" / "event_date=2026-02-16"
            assert list(folder.glob("*.parquet")), folder
    kill = pulls.loc["3131-1"]
    assert kill["raid_dps"] == pytest.approx(kill["total_damage"] / (kill["duration_ms"] / 1000))
    # The flow's return carries the rebuilt pulls (what `python flows/medallion.py` prints).
    returned = real_lake["run"]["gold"]["encounters"]
    assert sorted(returned["encounter_id"]) == ["3131-1", "3135-1"]


@needs_real_logs
def test_kill_has_25_players_with_their_classes(real_lake: dict[str, Any]) -> None:
    stats = gold(real_lake["lake"], "fact_player_encounter_stats")
    kill = stats[stats["encounter_id"] == "3131-1"]
    assert len(kill) == 25 and kill["player_id"].str.startswith("Player-").all()
    assert kill["player_class"].value_counts().to_dict() == KILL_CLASSES
    assert kill["player_role"].value_counts().to_dict() == {"dps": 18, "healer": 5, "tank": 2}
    by_name = kill.set_index("player_name")
    assert by_name.loc["Cadburyy-Ravencrest-EU", "player_class"] == "death_knight"
    assert by_name.loc["Deyanm-Draenor-EU", "player_role"] == "healer"
    pulls = gold(real_lake["lake"], "fact_encounter_summary").set_index("encounter_id")
    assert pulls.loc["3131-1", "n_players"] == 25
    assert pulls.loc["3131-1", "total_damage"] == pytest.approx(kill["damage_total"].sum())


@needs_real_logs
def test_pet_damage_is_folded_into_the_owner(real_lake: dict[str, Any]) -> None:
    lake = real_lake["lake"]
    stats = gold(lake, "fact_player_encounter_stats")
    assert not stats["player_id"].str.startswith(("Pet-", "Creature-", "Vehicle-")).any()
    raid = stats.loc[stats["encounter_id"] == "3131-1", "raid_id"].iloc[0]
    silver = read_silver_for_raids(lake, [raid], PANDAS)
    dk = stats[(stats["player_name"] == "Willòwí-Draenor-EU") & (stats["encounter_id"] == "3131-1")]
    hits = silver[
        (silver["source_player_id"] == dk["player_id"].iloc[0])
        & (silver["event_type"] == "combat_damage")
    ]
    by_pet = hits["data_quality_flags"].map(lambda f: any(x.startswith("pet=") for x in f))
    assert hits.loc[by_pet, "damage_amount"].sum() > 0  # ghoul / Glaciersmasher damage ...
    assert dk["damage_total"].iloc[0] == pytest.approx(hits["damage_amount"].sum())  # ... counted


@needs_real_logs
def test_reimporting_the_same_log_changes_nothing(real_lake: dict[str, Any]) -> None:
    lake, root = real_lake["lake"], real_lake["root"]
    before = lake_files(root)
    again = import_log(KILL, lake=lake)
    assert again.accepted == 0 and again.duplicate == again.batches > 0
    run = medallion(lake=str(root), backend="pandas")
    assert run["silver"]["batches"] == 0 and run["gold"]["raids_built"] == []
    assert lake_files(root) == before


def test_hand_made_log_deaths_on_the_victim_and_pets_on_the_owner(
    prefect_harness: None, v22_log: Path, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    lake = Lake.from_settings(settings_for_run(str(root)))
    result = import_log(v22_log, lake=lake)
    assert result.report.malformed == [(15, "no '<timestamp>  EVENT,' prefix")]
    medallion(lake=str(root), backend="pandas")
    [pull] = gold(lake, "fact_encounter_summary").to_dict("records")
    assert (pull["encounter_id"], pull["outcome"], pull["duration_ms"]) == ("3131-1", "wipe", 9999)
    assert (pull["difficulty"], pull["n_players"], pull["player_deaths"]) == ("heroic", 2, 1)
    stats = gold(lake, "fact_player_encounter_stats").set_index("player_id")
    assert BOSS not in stats.index  # the boss is never a player
    alice, bob = stats.loc[ALICE], stats.loc[BOB]
    # Alice: Fireball 200 + melee 50 + her Water Elemental's 100 + Fireball 100 − 30 overkill
    assert alice["damage_total"] == 420.0 and alice["damage_events"] == 4
    assert alice["dps"] == pytest.approx(420.0 / 9.999)
    assert (alice["deaths"], alice["player_class"], alice["player_role"]) == (1, "mage", "dps")
    # Bob killed nobody and his feign death is no death; his heal counts 300 − 100 overheal
    assert (bob["deaths"], bob["healing_total"], bob["player_role"]) == (0, 200.0, "healer")


def test_cli_reports_malformed_lines_and_exits_0(
    v22_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = v22_log.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "garbage without a timestamp")  # becomes line 4; the old line 15 is 16
    lines.append("2/16/2026 22:48:17.0000")  # a time stamp and nothing else
    lines.append(f'2/16/2026 22:48:17.0000  SPELL_AURA_APPLIED,{NONE4},{NONE4},1,"A",0x1,BUFF')
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lake = tmp_path / "lake"
    code = main(["import-log", str(log), "--lake", str(lake), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "malformed lines: 3" in out
    assert "line 4: no '<timestamp>  EVENT,' prefix" in out and "line 16:" in out
    assert "line 22:" in out
    assert "Loom'ithar" in out and "wipe" in out and "combat_damage" in out
    assert "start (UTC)" in out and "2026-02-16" in out  # the pulls' times say their zone
    # every line is in some table: the rows read only for specs and owners too
    assert "rows read for specs and pet owners (no event of their own): COMBATANT_INFO" in out
    assert "heal_all_overheal" in out  # skipped rows, by reason
    assert "SPELL_AURA_APPLIED" in out  # rows of a kind with no event, by kind
    assert f"bronze {lake / 'bronze'}" in out and "0 rejected" in out
    assert list((lake / "bronze" / "wow_raid_events" / "v1").rglob("*.jsonl"))
    # Same log again: nothing new lands.
    assert main(["import-log", str(log), "--lake", str(lake), "--no-progress"]) == 0
    assert "0 landed" in capsys.readouterr().out


def _classic_log(tmp_path: Path) -> Path:
    """A Classic log: time stamps without year or UTC offset."""
    boss = "Creature-0-4469-531-1-15509-00001"
    src = unit(ALICE, "Alice", boss, "Princess Huhuran")
    return write_log(
        tmp_path / "WoWCombatLog-123119_235959.txt",
        [
            f"12/31 23:59:59.000  {HDR9_CLASSIC}",
            '12/31 23:59:59.100  ENCOUNTER_START,714,"Princess Huhuran",9,40,531,2',
            f"12/31 23:59:59.500  SWING_DAMAGE,{src},{block16(boss)},300,310,-1,1,0,0,0,1,nil,nil",
            '1/1 00:00:02.000  ENCOUNTER_END,714,"Princess Huhuran",9,40,1',
        ],
    )


def _bronze_lines(root: Path) -> list[dict[str, Any]]:
    import json

    return [
        json.loads(line)
        for path in sorted((root / "bronze").rglob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_flow_takes_a_half_hour_offset_and_a_raid_id(prefect_harness: None, tmp_path: Path):
    """India is UTC+5:30: the flow (and so its deployments) take a fractional offset."""
    from flows.import_combat_log import import_combat_log

    root = tmp_path / "lake"
    out = import_combat_log(
        path=str(_classic_log(tmp_path)),
        lake=str(root),
        year=2019,
        utc_offset_hours=5.5,
        raid_id="huhuran-night",
    )
    assert out["events"] >= 1 and out["batches_landed"] == 1
    [damage] = [e for e in _bronze_lines(root) if e["event_type"] == "combat_damage"]
    assert damage["raid_id"] == "huhuran-night"
    assert damage["timestamp"] == "2019-12-31T18:29:59.500000Z"  # 23:59:59.5 − 5 h 30 min
    assert list((root / "bronze").rglob("raid_id=huhuran-night/*/*.jsonl"))


def test_cli_clock_and_batch_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAIDLIB_MAX_EVENT_AGE_DAYS")  # the default five years: the warning below
    log, root = _classic_log(tmp_path), tmp_path / "lake"
    args = ["import-log", str(log), "--lake", str(root), "--no-progress", "--year", "2019"]
    assert main([*args, "--utc-offset", "5.5", "--raid-id", "cli-night"]) == 0
    printed = capsys.readouterr()
    assert "given but not used" not in printed.out  # this log needs both
    [damage] = [e for e in _bronze_lines(root) if e["event_type"] == "combat_damage"]
    assert (damage["raid_id"], damage["timestamp"]) == ("cli-night", "2019-12-31T18:29:59.500000Z")
    # Older than silver's five-year limit: the import says so, and what to set.
    err = printed.err
    assert "this log starts on 2019-12-31" in err and "RAIDLIB_MAX_EVENT_AGE_DAYS=" in err
    with pytest.raises(SystemExit) as refused:
        main([*args, "--batch-size", "0"])
    assert refused.value.code == 2
    assert "--batch-size: 0 is not between 1 and 10000" in capsys.readouterr().err


def test_cli_names_scope_all_for_a_log_without_pulls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default scope imports pulls only: a log without one lands nothing, and says how not to."""
    pulls = _classic_log(tmp_path).read_text(encoding="utf-8").splitlines()
    log = write_log(tmp_path / "trash.txt", [line for line in pulls if "ENCOUNTER_" not in line])
    args = ["import-log", str(log), "--lake", str(tmp_path / "lake"), "--no-progress"]
    assert main([*args, "--year", "2025", "--utc-offset", "0"]) == 0
    out = capsys.readouterr().out
    assert "encounters: none (no ENCOUNTER_START in the log); --scope all keeps its 1 row(s)" in out


def test_cli_says_when_a_modern_log_ignores_the_clock_options(
    v22_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import-log", str(v22_log), "--lake", str(tmp_path / "lake"), "--no-progress"]
    assert main(args) == 0  # the client's file name holds a year, but nobody gave one
    assert "given but not used" not in capsys.readouterr().out
    assert main([*args, "--year", "2024", "--tz", "Europe/Paris"]) == 0
    out = capsys.readouterr().out
    assert "year and time zone given but not used: every time stamp of this log carries" in out


def test_cli_cannot_date_names_the_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A year-less log without --year/--utc-offset: exit 2, naming the CLI flags and the flow
    parameters that give them (not only the library's keyword arguments)."""
    log = _classic_log(tmp_path).rename(tmp_path / "renamed.txt")  # no date in the name
    args = ["import-log", str(log), "--lake", str(tmp_path / "lake"), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("cannot date this log: this log's time stamps have no year")
    assert "--year YEAR (raidlib import-log and python flows/import_combat_log.py)" in err
    assert "the year parameter (the import_combat_log flow" in err
    assert main([*args, "--year", "2019"]) == 2
    err = capsys.readouterr().err
    assert "carry no UTC offset" in err and "--utc-offset HOURS or --tz ZONE" in err
    assert "the utc_offset_hours or tz parameter (the import_combat_log flow" in err
    assert "Traceback" not in err


def test_a_log_that_fails_the_same_way_every_time_is_not_retried(
    prefect_harness: None, tmp_path: Path
) -> None:
    """Empty, damaged or undatable: the run fails at once instead of after two retries."""
    from prefect.states import Failed

    from flows.import_combat_log import import_combat_log
    from raidlib.combatlog.reader import UnreadableLogError
    from raidlib.tasks.combatlog import import_combat_log_file, import_worth_retrying

    assert not import_worth_retrying(None, None, Failed(data=UnreadableLogError("truncated")))
    assert not import_worth_retrying(None, None, Failed(data=FileNotFoundError("gone")))
    assert import_worth_retrying(None, None, Failed(data=ConnectionError("store down")))

    empty = tmp_path / "WoWCombatLog.txt"
    empty.write_bytes(b"")
    state = import_combat_log(path=str(empty), lake=str(tmp_path / "lake"), return_state=True)
    assert state.is_failed() and "no combat log rows" in str(state.message or state.data)
    assert import_combat_log_file.retries == 2  # transient failures still are retried


def test_a_token_the_receiver_refuses_is_not_retried() -> None:
    """The import task retries a receiver outage; a refused token would be refused again, after
    re-reading the log twice. The exception survives Prefect's pickling of a failed state."""
    import pickle

    from prefect.states import Failed

    from raidlib.client import ReceiverRefusedToken, SendSummary
    from raidlib.tasks.combatlog import import_worth_retrying

    refused = ReceiverRefusedToken("http://127.0.0.1:8000", token_given=True, summary=SendSummary())
    assert not import_worth_retrying(None, None, Failed(data=refused))
    again = pickle.loads(pickle.dumps(refused))
    assert str(again) == str(refused) and again.summary == refused.summary


def test_a_run_on_a_path_that_is_no_file_fails_naming_the_working_folder(
    prefect_harness: None, tmp_path: Path
) -> None:
    """A deployment run resolves a relative path in the worker's folder: the failure says which."""
    from flows.import_combat_log import import_combat_log

    state = import_combat_log(path=str(tmp_path), lake=str(tmp_path / "lake"), return_state=True)
    assert state.is_failed()
    assert f"combat log not found: {tmp_path} (working folder " in str(state.message or state.data)


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (["--year", "2024", "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--year", "0"], "year 0 is no year a combat log was written in"),
        (["--utc-offset", "nan"], "UTC offset nan h is outside ±14 h"),
        (["--utc-offset", "99"], "UTC offset 99.0 h is outside ±14 h"),
        (["--raid-id", "../evil"], "'../evil' is not a raid id"),
    ],
)
def test_cli_refuses_a_bad_clock_or_raid_id_before_reading_the_log(
    tmp_path: Path, option: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["import-log", str(_classic_log(tmp_path)), "--lake", str(tmp_path / "l"), *option])
    assert stop.value.code == 2 and reason in capsys.readouterr().err
    assert not (tmp_path / "l").exists()


def test_cli_stops_before_reading_when_no_receiver_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _classic_log(tmp_path)
    assert main(["import-log", str(log), "--receiver", "http://127.0.0.1:9"]) == 2
    assert "no receiver answers at http://127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.e2e
def test_cli_stops_on_a_receiver_that_needs_another_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No token: stopped before reading, as /health says one is needed. A wrong one: stopped
    at the first 401, exit 2 with the reason, not "N batch(es) were not delivered"."""
    from tests.receiver.test_cli import _serve

    log = [str(_classic_log(tmp_path)), "--year", "2025", "--utc-offset", "0", "--no-progress"]
    with _serve(tmp_path / "lake", token="t0k") as url:
        assert main(["import-log", *log, "--receiver", url]) == 2
        out, err = capsys.readouterr()
        assert f"raidlib import-log: the receiver at {url} needs a token: pass --token" in err
        assert "lines:" not in out  # the log was not read
        assert main(["import-log", *log, "--receiver", url, "--token", "wrong"]) == 2
        err = capsys.readouterr().err
        assert f"raidlib import-log: the receiver at {url} refused the token given" in err
        assert "were not delivered" not in err


def test_cli_lands_a_log_from_a_fast_clock_within_the_skew_of_the_settings(
    v22_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recorder whose clock runs ahead writes times in the future: RAIDLIB_MAX_CLOCK_SKEW_S
    lets them in, as it does at the receiver."""
    text = v22_log.read_text(encoding="utf-8").replace("2/16/2026", "2/16/2099")
    log = tmp_path / "WoWCombatLog.txt"
    log.write_text(text, encoding="utf-8")
    monkeypatch.setenv("RAIDLIB_MAX_CLOCK_SKEW_S", str(80 * 366 * 86_400))
    lake = tmp_path / "lake"
    assert main(["import-log", str(log), "--lake", str(lake), "--no-progress"]) == 0
    assert list((lake / "bronze" / "wow_raid_events" / "v1").rglob("*.jsonl"))


def test_cli_posts_to_a_receiver_with_the_token_of_the_settings(
    v22_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --token the receiver's own setting (RAIDLIB_AUTH_TOKEN) is sent, as by send."""
    from raidlib.receiver import create_app, make_server
    from raidlib.settings import Settings

    lake = Lake.local(tmp_path / "lake")
    srv = make_server(create_app(Settings(auth_token="t0k"), lake), "127.0.0.1", 0).start()
    monkeypatch.setenv("RAIDLIB_AUTH_TOKEN", "t0k")
    try:
        code = main(["import-log", str(v22_log), "--receiver", srv.url, "--no-progress"])
    finally:
        srv.close()
    assert code == 0
    assert list((tmp_path / "lake" / "bronze" / "wow_raid_events" / "v1").rglob("*.jsonl"))


def test_boss_npc_ids_make_a_council_member_a_boss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Soul Hunters are three bosses, none named like the encounter: each is an add unless
    its NPC id is given."""
    council = "Creature-0-3061-2810-120284-237661-0000139D68"
    hit = f'SPELL_DAMAGE,{unit(ALICE, "Alice-Realm-EU", council, "Adarus Duskblaze")},133,"F",0x4'
    rows = [
        HDR22,
        'ENCOUNTER_START,3122,"The Soul Hunters",15,20,2810',
        f"{hit},{block19(council, hp=400)},100,100,-1,4,0,0,0,nil,nil,nil,ST",
        'ENCOUNTER_END,3122,"The Soul Hunters",15,20,0,9000',
    ]
    log = write_log(
        tmp_path / "WoWCombatLog-021626_224800.txt",
        [f"2/16/2026 22:48:0{i}.0000  {row}" for i, row in enumerate(rows)],
    )

    def target_types(*options: str) -> set[str]:
        lake = tmp_path / f"lake{len(options)}"
        code = main(["import-log", str(log), "--lake", str(lake), "--no-progress", *options])
        assert code == 0, capsys.readouterr()
        landed = [json.loads(line) for f in lake.rglob("*.jsonl") for line in f.open()]
        return {e["target_entity_type"] for e in landed if e["event_type"] == "combat_damage"}

    assert target_types() == {"add"}
    assert target_types("--boss-npc-id", "237661") == {"boss"}
