"""Pure silver transforms: cast, rules (every reason), enrich, dedup (Hypothesis)."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raidlib.backend import from_pandas, to_pandas
from raidlib.silver.cast import cast_bronze
from raidlib.silver.dedup import deduplicate
from raidlib.silver.enrich import enrich
from raidlib.silver.rules import RuleParams, check_rules
from raidlib.silver.schema import SILVER_COLUMNS

bronze = sys.modules["raidlib_tests_bronze_factory"]  # loaded by the root conftest

INGEST = "2026-11-23T11:00:00Z"


def rows(*events: dict, batch_id: str = "b1", ingest: str = INGEST) -> pd.DataFrame:
    lines = [
        {**e, "batch_id": batch_id, "ingest_timestamp": ingest, "batch_source": "t"} for e in events
    ]
    return cast_bronze(pd.DataFrame(lines))


def test_cast_gives_exactly_the_silver_columns():
    out = rows(bronze.make_event(0, event_id=bronze.event_id(0).upper()))
    assert list(out.columns) == list(SILVER_COLUMNS)
    assert out["timestamp"].dtype == "datetime64[us]"
    assert out["ingest_timestamp"].iloc[0] == pd.Timestamp("2026-11-23 11:00:00")
    assert out["event_id"].iloc[0] == bronze.event_id(0)  # lower-cased
    assert out["is_critical_hit"].iloc[0] is False or not out["is_critical_hit"].iloc[0]
    assert out["critical_multiplier"].iloc[0] == 1.0


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"timestamp": None}, "timestamp_missing_or_unparseable"),
        ({"timestamp": "not a time"}, "timestamp_missing_or_unparseable"),
        ({"event_id": "1234"}, "event_id_not_uuid"),
        ({"event_type": "dance"}, "event_type_unknown"),
        ({"raid_id": "../etc"}, "raid_id_invalid"),
        ({"source_player_id": ""}, "source_player_missing"),
        ({"source_player_id": None}, "source_player_missing"),
        ({"source_player_name": None}, "source_player_missing"),
        ({"source_player_role": "bard"}, "source_player_role_invalid"),
        ({"damage_amount": None}, "damage_amount_missing_or_not_positive"),
        ({"event_type": "heal"}, "healing_amount_missing_or_not_positive"),
        ({"event_type": "player_death", "target_entity_id": None}, "death_target_missing"),
        ({"event_type": "player_death", "target_entity_name": " "}, "death_target_missing"),
        (
            {"event_type": "player_death", "target_entity_type": "add"},
            "death_target_not_player",
        ),
        ({"source_player_name": "\u3000\u00a0\t"}, "source_player_missing"),  # Unicode spaces
        ({"event_type": "mana_regeneration"}, "resource_type_missing"),
        ({"damage_amount": -5.0}, "negative_amount"),
        ({"damage_amount": 2e9}, "amount_out_of_range"),
        ({"target_entity_health_pct_before": 120.0}, "health_pct_out_of_range"),
        (
            {"target_entity_health_pct_before": 40.0, "target_entity_health_pct_after": 60.0},
            "health_pct_increased_on_hit",
        ),
        ({"target_entity_type": "player", "target_entity_id": None}, "player_target_without_id"),
        ({"source_player_level": 200}, "source_player_level_out_of_range"),
        ({"critical_multiplier": 9.0}, "critical_multiplier_out_of_range"),
        ({"resource_amount_after": float("inf")}, "amount_out_of_range"),
        ({"source_player_name": "x" * 65}, "source_player_name_too_long"),
        ({"timestamp": "2026-11-23T12:00:00Z"}, "timestamp_in_future"),
        ({"timestamp": "1970-01-01T00:00:00Z"}, "timestamp_too_old"),
    ],
)
def test_each_rule_quarantines_with_its_reason(overrides, reason, any_backend):
    """On pandas, and on cuDF where usable (its null logic differs from pandas')."""
    frame = from_pandas(rows(bronze.make_event(0), bronze.make_event(1, **overrides)), any_backend)
    clean, quarantined = (to_pandas(part) for part in check_rules(frame))
    assert clean["event_id"].tolist() == [bronze.event_id(0)]
    assert len(quarantined) == 1
    assert reason in quarantined["quarantine_reason"].iloc[0].split("; ")


_AT_INGEST = pd.Timestamp(INGEST)
_SKEW = pd.Timedelta(seconds=RuleParams().max_clock_skew_s)
_AGE = pd.Timedelta(seconds=RuleParams().max_event_age_s)


def _iso(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"damage_amount": 0.0}, "damage_amount_missing_or_not_positive"),
        ({"target_entity_health_pct_after": -0.5}, "health_pct_out_of_range"),
        ({"source_player_level": 91}, "source_player_level_out_of_range"),
        ({"encounter_duration_ms": -1}, "negative_amount"),
        (
            {"timestamp": _iso(_AT_INGEST + _SKEW + pd.Timedelta(milliseconds=1))},
            "timestamp_in_future",
        ),
        (
            {"timestamp": _iso(_AT_INGEST - _AGE - pd.Timedelta(milliseconds=1))},
            "timestamp_too_old",
        ),
    ],
)
def test_a_value_just_past_a_limit_is_quarantined(overrides, reason, any_backend):
    """Each limit's first value beyond it (mutation audit: these boundaries went untested)."""
    frame = from_pandas(rows(bronze.make_event(0), bronze.make_event(1, **overrides)), any_backend)
    clean, quarantined = (to_pandas(part) for part in check_rules(frame))
    assert clean["event_id"].tolist() == [bronze.event_id(0)]
    assert reason in quarantined["quarantine_reason"].iloc[0].split("; ")


@pytest.mark.parametrize(
    "overrides",
    [
        {"target_entity_health_pct_before": 40.0, "target_entity_health_pct_after": 40.0},
        {"target_entity_health_pct_before": 0.0, "target_entity_health_pct_after": 0.0},
        {"source_player_level": 90},
        {"source_player_level": 1},
        {"timestamp": _iso(_AT_INGEST + _SKEW)},
        {"timestamp": _iso(_AT_INGEST - _AGE)},
    ],
)
def test_a_value_at_a_limit_is_kept(overrides, any_backend):
    """The limits are inclusive, as the receiver's: a hit that leaves health where it was, a
    level-90 player, an event exactly at the clock-skew or age limit."""
    frame = from_pandas(rows(bronze.make_event(0), bronze.make_event(1, **overrides)), any_backend)
    clean, quarantined = (to_pandas(part) for part in check_rules(frame))
    assert len(clean) == 2 and len(quarantined) == 0


def test_control_characters_are_not_blank(any_backend):
    """A name of control characters is odd but present: kept on every backend (cuDF's bare
    ``strip()`` would remove them and call the name missing)."""
    frame = from_pandas(rows(bronze.make_event(0, source_player_name="\x01\x1f")), any_backend)
    clean, quarantined = (to_pandas(part) for part in check_rules(frame))
    assert len(clean) == 1 and len(quarantined) == 0


def test_separator_characters_are_not_blank_as_the_receiver_keeps_them(any_backend):
    """U+001C–U+001F are ``isspace()`` to Python but not whitespace to the receiver, which
    accepted a name made of them with 201; silver then quarantined it as missing."""
    events = [
        bronze.make_event(0, source_player_name="\x1f", source_player_id="\x1c"),
        bronze.make_event(
            1, event_type="player_death", target_entity_name="\x1e", target_entity_type="player"
        ),
    ]
    clean, quarantined = (
        to_pandas(part) for part in check_rules(from_pandas(rows(*events), any_backend))
    )
    assert len(clean) == 2 and len(quarantined) == 0


def test_strings_are_trimmed_as_the_receiver_trims_them(any_backend):
    """Bronze written by another tool may pad ids and names: silver trims them (CONTRACT §1),
    so one player is not split in two in gold, and a padded enum or id is not quarantined."""
    padded = bronze.make_event(
        1,
        source_player_id=" p1 \u3000",
        source_player_name="\tBob ",
        source_player_role=" dps",
        event_type="combat_damage ",
        event_id=f" {bronze.event_id(1)}\n",
        raid_id="raid001 ",
    )
    frame = from_pandas(rows(bronze.make_event(0, source_player_id="p1"), padded), any_backend)
    clean, quarantined = (to_pandas(part) for part in check_rules(frame))
    assert len(quarantined) == 0
    assert clean["source_player_id"].tolist() == ["p1", "p1"]
    assert clean["source_player_name"].iloc[1] == "Bob"
    assert clean["event_id"].iloc[1] == bronze.event_id(1)
    assert (clean["raid_id"] == "raid001").all()
    long_padded = rows(bronze.make_event(2, source_player_name=" " + "x" * 64 + " "))
    assert len(check_rules(long_padded)[0]) == 1  # 64 characters once trimmed


def test_several_reasons_are_all_listed_and_nothing_is_dropped():
    frame = rows(
        bronze.make_event(0, event_id="nope", damage_amount=-1.0),
        *[bronze.make_event(i) for i in range(1, 5)],
    )
    clean, quarantined = check_rules(frame)
    assert len(clean) + len(quarantined) == len(frame)
    assert quarantined["quarantine_reason"].iloc[0] == (
        "event_id_not_uuid; damage_amount_missing_or_not_positive; negative_amount"
    )


def test_heal_may_raise_health_and_skew_is_a_parameter():
    heal = bronze.make_event(
        0,
        event_type="heal",
        damage_amount=None,
        healing_amount=50.0,
        target_entity_type="player",
        target_entity_id="p1",
        target_entity_health_pct_before=10.0,
        target_entity_health_pct_after=30.0,
    )
    future = bronze.make_event(1, timestamp="2026-11-23T11:10:00Z")
    clean, quarantined = check_rules(rows(heal, future), RuleParams(max_clock_skew_s=3600))
    assert len(clean) == 2 and len(quarantined) == 0


def test_enrich_values_by_hand():
    frame = rows(
        bronze.make_event(0, timestamp="2026-11-22T23:59:59.500Z", damage_amount=10_000.0),
        bronze.make_event(1, damage_amount=10_000.5),
        bronze.make_event(2, event_type="heal", damage_amount=None, healing_amount=20_000.0),
    )
    out = enrich(frame)
    assert out["event_date"].tolist() == ["2026-11-22", "2026-11-23", "2026-11-23"]
    assert out["ingest_latency_ms"].tolist() == [39_600_500, 3_599_000, 3_598_000]
    assert out["is_massive_hit"].tolist() == [False, True, False]
    assert frame["event_date"].isna().all()  # input untouched


def test_event_date_has_four_year_digits_as_on_the_gpu():
    """libcudf writes year 999 as 0999; pandas' strftime would write 999 (another partition)."""
    out = enrich(rows(bronze.make_event(0, timestamp="0999-05-01T10:00:00Z")))
    assert out["event_date"].tolist() == ["0999-05-01"]


def test_dedup_keeps_latest_ingest_then_largest_batch():
    a = rows(bronze.make_event(0, damage_amount=1.0), batch_id="b-a", ingest="2026-11-23T11:00:00Z")
    b = rows(bronze.make_event(0, damage_amount=2.0), batch_id="b-b", ingest="2026-11-23T12:00:00Z")
    c = rows(bronze.make_event(0, damage_amount=3.0), batch_id="b-c", ingest="2026-11-23T12:00:00Z")
    for order in ([a, b, c], [c, b, a], [b, a, c]):
        out = deduplicate(enrich(pd.concat(order, ignore_index=True)))
        assert out["damage_amount"].tolist() == [3.0]


def test_dedup_full_tie_keeps_the_later_row():
    """Same ingest and batch (a batch read again after a crash): the later position wins."""
    first = rows(bronze.make_event(0, damage_amount=1.0), batch_id="b", ingest="2026-11-23T11:00Z")
    again = rows(bronze.make_event(0, damage_amount=2.0), batch_id="b", ingest="2026-11-23T11:00Z")
    other = rows(bronze.make_event(1, damage_amount=5.0), batch_id="b", ingest="2026-11-23T11:00Z")
    out = deduplicate(enrich(pd.concat([first, other, again], ignore_index=True)))
    assert out["damage_amount"].tolist() == [5.0, 2.0]  # survivors keep their input order


copies = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3), st.sampled_from(["b1", "b2", "b3"])),
    min_size=1,
    max_size=25,
)


@given(copies)
def test_dedup_is_idempotent_and_keeps_the_latest(spec):
    frames = [
        rows(
            bronze.make_event(n, damage_amount=float(hour * 10 + int(batch[1]))),
            batch_id=batch,
            ingest=f"2026-11-23T1{hour}:00:00Z",
        )
        for n, hour, batch in spec
    ]
    frame = enrich(pd.concat(frames, ignore_index=True))
    once = deduplicate(frame)
    twice = deduplicate(once)
    key = ["event_id"]
    pd.testing.assert_frame_equal(
        once.sort_values(key).reset_index(drop=True), twice.sort_values(key).reset_index(drop=True)
    )
    assert len(once) == len({n for n, _, _ in spec})
    for n in {n for n, _, _ in spec}:
        best = max((hour, batch) for m, hour, batch in spec if m == n)
        got = once.loc[once["event_id"] == bronze.event_id(n), "damage_amount"].item()
        assert got == best[0] * 10 + int(best[1][1])
