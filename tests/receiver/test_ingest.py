"""POST /events through Flask's test client: every status code of CONTRACT §2 and its JSON."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from raidlib.lake.lake import Lake
from raidlib.receiver import create_app
from raidlib.settings import Settings

from .conftest import make_events

B42 = str(uuid.UUID(int=42))  # CONTRACT §2: an envelope's batch_id is a UUID
AGAIN = str(uuid.UUID(int=2))
ACCEPTED_KEYS = ["status", "batch_id", "events_received", "storage", "timestamp"]


def _post(client: FlaskClient, body, **kwargs):
    if isinstance(body, (list, dict)):
        return client.post("/events", json=body, **kwargs)
    return client.post("/events", data=body, content_type="application/json", **kwargs)


def _bronze_files(lake: Lake) -> list[Path]:
    root = Path(lake.bronze_root)
    return sorted(root.rglob("*.jsonl")) if root.exists() else []


def test_bare_array_is_accepted_with_the_exact_201_body(client: FlaskClient, lake: Lake) -> None:
    events = make_events(10)
    response = _post(client, events)
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ACCEPTED_KEYS
    assert body["status"] == "accepted"
    assert body["events_received"] == 10
    assert body["storage"]["status"] == "success"
    assert body["timestamp"].endswith("Z")
    today = datetime.now(UTC).date().isoformat()
    key = f"wow_raid_events/v1/raid_id=raid001/ingest_date={today}/batch={body['batch_id']}.jsonl"
    assert body["storage"]["paths"] == [lake.path("bronze", key)]

    lines = Path(lake.path("bronze", key)).read_bytes().splitlines()
    assert len(lines) == 10
    for sent, raw in zip(events, lines, strict=True):
        line = json.loads(raw)
        assert line["event_id"] == sent["event_id"]
        assert line["batch_id"] == body["batch_id"]
        assert line["ingest_timestamp"] == body["timestamp"]
        assert line["batch_source"] == "receiver"
    assert not [p for p in Path(lake.bronze_root).rglob(".tmp-*")]


def test_envelope_batch_id_and_source_are_used(client: FlaskClient, lake: Lake) -> None:
    response = _post(client, {"batch_id": B42, "source": "addon", "events": make_events(3)})
    assert response.status_code == 201
    assert response.get_json()["batch_id"] == B42
    (path,) = _bronze_files(lake)
    assert path.name == f"batch={B42}.jsonl"
    assert {json.loads(line)["batch_source"] for line in path.read_bytes().splitlines()} == {
        "addon"
    }


def test_server_fills_event_id_when_absent(client: FlaskClient, lake: Lake) -> None:
    events = make_events(2)
    for event in events:
        del event["event_id"]
    assert _post(client, events).status_code == 201
    (path,) = _bronze_files(lake)
    ids = [json.loads(line)["event_id"] for line in path.read_bytes().splitlines()]
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)


def test_a_uuid_batch_id_respelt_is_still_a_duplicate(client: FlaskClient, lake: Lake) -> None:
    """Upper case or without hyphens, it is the same UUID: the same batch."""
    batch_id = "d4d8f006-105f-4c3a-9d0e-2f1b6a7c8e90"
    first = _post(client, {"batch_id": batch_id.upper(), "events": make_events(2)})
    assert first.status_code == 201 and first.get_json()["batch_id"] == batch_id
    for spelling in (batch_id, batch_id.replace("-", "")):
        again = _post(client, {"batch_id": spelling, "events": make_events(2)})
        assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len(_bronze_files(lake)) == 1


def test_repost_of_a_landed_batch_id_is_a_200_duplicate(client: FlaskClient, lake: Lake) -> None:
    envelope = {"batch_id": AGAIN, "events": make_events(4)}
    first = _post(client, envelope)
    assert first.status_code == 201
    before = {p: p.stat().st_mtime_ns for p in _bronze_files(lake)}
    second = _post(client, envelope)
    assert second.status_code == 200
    body = second.get_json()
    assert body["status"] == "duplicate"
    assert body["batch_id"] == AGAIN
    assert body["storage"]["paths"] == first.get_json()["storage"]["paths"]
    assert {p: p.stat().st_mtime_ns for p in _bronze_files(lake)} == before


def test_mixed_raid_batch_is_split_per_raid(client: FlaskClient, lake: Lake) -> None:
    events = make_events(3, "raidA") + make_events(2, "raidB") + make_events(1, "raidA")
    response = _post(client, {"batch_id": str(uuid.UUID(int=3)), "events": events})
    assert response.status_code == 201
    paths = response.get_json()["storage"]["paths"]
    assert len(paths) == 2
    counts = {}
    for path in paths:
        raid = Path(path).parent.parent.name.removeprefix("raid_id=")
        raids = {json.loads(line)["raid_id"] for line in Path(path).read_bytes().splitlines()}
        assert raids == {raid}
        counts[raid] = len(Path(path).read_bytes().splitlines())
    assert counts == {"raidA": 4, "raidB": 2}


def test_one_invalid_event_rejects_the_whole_batch(client: FlaskClient, lake: Lake) -> None:
    events = make_events(30)
    events[3]["damage_amount"] = -5.0
    events[7]["raid_id"] = "../../etc"
    events[8]["timestamp"] = "2026-01-05T20:00:00"  # naive
    events[9]["event_type"] = "dance"
    response = _post(client, events)
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == "validation_failed"
    assert body["valid_count"] == 26 and body["invalid_count"] == 4
    by_index = {e["index"]: e["errors"] for e in body["errors"]}
    assert list(by_index) == [3, 7, 8, 9]
    assert by_index[3][0]["loc"] == ["damage_amount"]
    assert by_index[7][0]["loc"] == ["raid_id"]
    assert by_index[8][0]["loc"] == ["timestamp"]
    assert by_index[9][0]["loc"] == ["event_type"]
    assert all({"loc", "msg", "type"} <= set(err) for errs in by_index.values() for err in errs)
    assert _bronze_files(lake) == []


def test_errors_are_reported_for_the_first_20_invalid_events(client: FlaskClient) -> None:
    events = make_events(50)
    for event in events[5:]:
        del event["source_player_name"]
    body = _post(client, {"events": events}).get_json()
    assert body["invalid_count"] == 45 and body["valid_count"] == 5
    assert [e["index"] for e in body["errors"]] == list(range(5, 25))
    assert body["errors"][0]["errors"] == [
        {"loc": ["source_player_name"], "msg": "Field required", "type": "missing"}
    ]


def test_a_list_of_many_numbers_is_one_error_not_one_per_item(client: FlaskClient) -> None:
    """Each item was an error of its own: a 4 MiB body took 2.8 GB of the receiver's memory
    and got a 197 MB answer (security audit)."""
    event = make_events(1)[0] | {"data_quality_flags": ["late", *[1] * 50_000]}
    answer = _post(client, [event])
    assert answer.status_code == 400 and len(answer.data) < 2_000
    assert answer.get_json()["errors"] == [
        {
            "index": 0,
            "errors": [
                {
                    "loc": ["data_quality_flags"],
                    "msg": "Value error, 50000 of its 50001 items are not strings "
                    "(the first at index 1)",
                    "type": "value_error",
                }
            ],
        }
    ]


def test_a_body_with_too_many_errors_to_list_is_described_by_its_first_ones(
    client: FlaskClient,
) -> None:
    """Every invalid event still counts; the first 20 are described, each by at most 20
    errors and a line saying how many more it has."""
    events = make_events(30)
    events[2] |= {f"surprise{i}": i for i in range(5_000)}
    for event in events[10:]:
        event["surprise"] = 1
    body = _post(client, events).get_json()
    assert (body["status"], body["valid_count"], body["invalid_count"]) == (
        "validation_failed",
        9,
        21,
    )
    assert [e["index"] for e in body["errors"]] == [2, *range(10, 29)]
    crowded = body["errors"][0]["errors"]
    assert len(crowded) == 21 and crowded[0]["type"] == "extra_forbidden"
    assert crowded[-1] == {
        "loc": [],
        "msg": "4980 more errors, not listed",
        "type": "too_many_errors",
    }
    assert body["errors"][1]["errors"] == [
        {"loc": ["surprise"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]


def test_future_timestamps_beyond_the_clock_skew_are_rejected(client: FlaskClient) -> None:
    events = make_events(1, start=datetime.now(UTC) + timedelta(hours=1))
    body = _post(client, events).get_json()
    assert body["errors"][0]["errors"][0]["loc"] == ["timestamp"]
    assert "clock skew" in body["errors"][0]["errors"][0]["msg"]


MILLISECONDS = {
    "loc": ["timestamp"],
    "msg": "timestamp 1767295800000 looks like milliseconds since the epoch: "
    "send unix seconds or ISO-8601 with an offset",
    "type": "datetime_parsing",
}


def test_a_timestamp_in_milliseconds_is_named_as_such(client: FlaskClient, lake: Lake) -> None:
    """It said "dates after 9999 are not supported as unix timestamps" (error-UX audit)."""
    events = make_events(3)
    events[1]["timestamp"] = 1767295800000
    response = _post(client, {"events": events})
    assert response.status_code == 400
    payload = response.get_json()
    assert (payload["status"], payload["valid_count"], payload["invalid_count"]) == (
        "validation_failed",
        2,
        1,
    )
    assert payload["errors"] == [{"index": 1, "errors": [MILLISECONDS]}]
    assert MILLISECONDS["msg"] in payload["error"]
    assert _bronze_files(lake) == []


def test_a_timestamp_in_milliseconds_is_named_in_a_body_with_too_many_errors(
    client: FlaskClient,
) -> None:
    """Over 1,000 errors, events are described one at a time: the same message."""
    events = make_events(2)
    events[0] |= {f"surprise{i}": i for i in range(1_001)}
    events[1]["timestamp"] = 1767295800000
    payload = _post(client, events).get_json()
    assert payload["errors"][1] == {"index": 1, "errors": [MILLISECONDS]}


EVENT_TYPES = "combat_damage, heal, player_death, spell_cast, boss_phase, mana_regeneration"


def test_a_missing_or_unknown_event_type_names_the_allowed_ones(
    client: FlaskClient, lake: Lake
) -> None:
    """It said "Unable to extract tag using discriminator 'event_type'" and "Input tag 'dance'
    found using 'event_type' does not match any of the expected tags" (error-UX audit)."""
    events = make_events(3)
    del events[0]["event_type"]
    events[2]["event_type"] = "dance"
    response = _post(client, events)
    assert response.status_code == 400
    payload = response.get_json()
    assert (payload["status"], payload["valid_count"], payload["invalid_count"]) == (
        "validation_failed",
        1,
        2,
    )
    assert payload["errors"] == [
        {
            "index": 0,
            "errors": [
                {
                    "loc": ["event_type"],
                    "msg": f"event_type is required: one of {EVENT_TYPES}",
                    "type": "union_tag_not_found",
                }
            ],
        },
        {
            "index": 2,
            "errors": [
                {
                    "loc": ["event_type"],
                    "msg": f'event_type "dance" is not one of {EVENT_TYPES}',
                    "type": "union_tag_invalid",
                }
            ],
        },
    ]
    assert _bronze_files(lake) == []


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b'[{"event_type": ', "invalid_json", "Invalid JSON"),
        (b"{not json", "invalid_json", "Invalid JSON"),
        (b"\xff\xfe[]", "invalid_json", "the body is not UTF-8 (byte 0xff at offset 0"),
        (b'"just a string"', "invalid_body", "got a string"),
        (b"42", "invalid_body", "got a number"),
        (b"null", "invalid_body", "got null"),
        (b"", "empty_body", "empty"),
        (b"   ", "empty_body", "empty"),
        (b"[]", "empty_batch", "no events"),
        (b'{"events": []}', "empty_batch", "no events"),
        (b'{"events": {"a": 1}}', "invalid_envelope", "events"),
        (b'{"batch": "x"}', "invalid_envelope", "events"),
        (json.dumps(make_events(1)[0]).encode(), "invalid_envelope", "one event, not a batch"),
        # a byte-order mark, UTF-16, nesting deeper than Python's parser: 400, never a 500
        (b"\xef\xbb\xbf" + b"[" * 100_000, "invalid_json", "without a BOM"),
        (b"\xef\xbb\xbf" + json.dumps(make_events(1)).encode(), "invalid_json", "BOM"),
        (json.dumps(make_events(1)).encode("utf-16"), "invalid_json", "not UTF-8"),
        (b" 7" + b"[" * 100_000, "invalid_json", "malformed"),
    ],
    # Named, not derived from the bodies: two hold random event ids, and pytest-xdist needs every
    # worker to collect the same test ids.
    ids=[
        "truncated",
        "not-json",
        "utf-16-empty-list",
        "string",
        "number",
        "null",
        "empty",
        "blank",
        "empty-list",
        "empty-events",
        "events-not-a-list",
        "no-events-key",
        "one-event-unwrapped",
        "bom-deep-nesting",
        "bom",
        "utf-16",
        "deep-nesting",
    ],
)
def test_bad_bodies_get_400_json_naming_the_problem(
    client: FlaskClient, body: bytes, status: str, needle: str
) -> None:
    response = _post(client, body)
    assert response.status_code == 400
    assert response.is_json
    payload = response.get_json()
    assert payload["status"] == status
    assert needle in payload["error"]


def _latin1_events(enveloped: bool) -> tuple[bytes, str]:
    """A batch whose player name is Latin-1, and where its first non-UTF-8 byte is."""
    events = make_events(2)
    events[1]["source_player_name"] = "Zoë"
    body = json.dumps({"events": events} if enveloped else events, ensure_ascii=False)
    data = body.encode("latin-1")
    return data, f"byte 0xeb at offset {data.index('ë'.encode('latin-1'))}"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        _latin1_events(enveloped=False),
        _latin1_events(enveloped=True),
        (
            json.dumps(make_events(1)).encode("utf-16"),
            "byte 0xff at offset 0, a UTF-16 or UTF-32 byte-order mark",
        ),
        (
            json.dumps(make_events(1)).encode("utf-16-le"),
            "byte 0x00 at offset 1, as in UTF-16 or UTF-32",
        ),
        (
            json.dumps(make_events(1)).encode("utf-16-be"),
            "byte 0x00 at offset 0, as in UTF-16 or UTF-32",
        ),
    ],
    ids=["latin-1", "latin-1-envelope", "utf-16-bom", "utf-16le-no-bom", "utf-16be-no-bom"],
)
def test_a_body_that_is_not_utf8_is_named_with_its_first_bad_byte(
    client: FlaskClient, lake: Lake, body: bytes, where: str
) -> None:
    """It said "Invalid JSON: invalid unicode code point at line 1 column 229" or "malformed
    JSON: 'utf-8' codec can't decode byte 0xff in position 0: ..." (error-UX audit)."""
    response = _post(client, body)
    assert response.status_code == 400
    assert response.get_json() == {
        "status": "invalid_json",
        "error": f"the body is not UTF-8 ({where}): send UTF-8 JSON",
    }
    assert _bronze_files(lake) == []


def test_non_object_elements_are_named_by_index(client: FlaskClient) -> None:
    events = [*make_events(1), 5, "x", None]
    payload = _post(client, events).get_json()
    assert payload["status"] == "validation_failed"
    assert [e["index"] for e in payload["errors"]] == [1, 2, 3]
    assert payload["errors"][0]["errors"][0]["type"] == "dict_type"
    assert "object" in payload["errors"][0]["errors"][0]["msg"]


@pytest.mark.parametrize("batch_id", ["../x", "a/b", "", "b-42", "x" * 200, 7])
def test_invalid_batch_id_is_400_with_loc(client: FlaskClient, lake: Lake, batch_id) -> None:
    response = _post(client, {"batch_id": batch_id, "events": make_events(1)})
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["status"] == "invalid_envelope"
    assert payload["errors"][0]["loc"] == ["batch_id"]
    assert _bronze_files(lake) == []


def test_unknown_envelope_keys_are_rejected(client: FlaskClient) -> None:
    payload = _post(client, {"events": make_events(1), "extra": 1}).get_json()
    assert payload["status"] == "invalid_envelope"
    assert payload["errors"][0]["loc"] == ["extra"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_content_type_is_400(client: FlaskClient, content_type) -> None:
    data = json.dumps(make_events(1))
    response = client.post("/events", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["status"] == "unsupported_content_type"


def test_compressed_or_non_utf8_bodies_are_refused_by_name(client: FlaskClient, lake: Lake) -> None:
    import gzip

    body = json.dumps(make_events(1)).encode()
    zipped = client.post(
        "/events",
        data=gzip.compress(body),
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )
    assert zipped.status_code == 415
    assert zipped.get_json()["status"] == "unsupported_content_encoding"
    latin = client.post("/events", data=body, content_type="application/json; charset=latin-1")
    assert latin.status_code == 400 and "UTF-8" in latin.get_json()["error"]
    assert _bronze_files(lake) == []


def test_json_content_type_with_charset_is_fine(client: FlaskClient) -> None:
    data = json.dumps(make_events(1))
    response = client.post("/events", data=data, content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_too_many_events_is_413(client: FlaskClient, settings: Settings, lake: Lake) -> None:
    events = make_events(settings.max_events_per_request + 1)
    for body in (events, {"events": events}):
        response = _post(client, body)
        assert response.status_code == 413
        assert response.get_json()["status"] == "payload_too_large"
        assert response.get_json()["max_events"] == settings.max_events_per_request
    assert _post(client, events[:-1]).status_code == 201


def test_too_many_bytes_is_413_from_content_length(client: FlaskClient, settings: Settings) -> None:
    padded = json.dumps(make_events(1)).encode() + b" " * settings.max_request_bytes
    response = _post(client, padded)
    assert response.status_code == 413
    assert response.get_json()["max_bytes"] == settings.max_request_bytes


def test_too_many_bytes_is_413_without_content_length(
    client: FlaskClient, settings: Settings
) -> None:
    """A chunked upload declares no length: the read itself must stop at the cap."""
    padded = json.dumps(make_events(1)).encode() + b" " * settings.max_request_bytes
    stream = io.BytesIO(padded)
    response = client.post(
        "/events",
        content_type="application/json",
        environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.get_json()["status"] == "payload_too_large"
    assert stream.tell() <= settings.max_request_bytes + 1


def test_a_declared_length_one_byte_over_the_limit_is_refused_unread(
    client: FlaskClient, settings: Settings
) -> None:
    """Content-Length of limit + 1 is already too large: refused on the header alone, before
    the receiver reads (and buffers) a byte of the body."""
    body = json.dumps(make_events(1)).encode()
    body += b" " * (settings.max_request_bytes + 1 - len(body))
    stream = io.BytesIO(body)
    response = client.post(
        "/events",
        content_type="application/json",
        environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(len(body))},
    )
    assert response.status_code == 413
    assert response.get_json()["max_bytes"] == settings.max_request_bytes
    assert stream.tell() == 0


def _with_token(lake: Lake) -> Flask:
    return create_app(Settings(auth_token="s3cret"), lake)


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic s3cret", "s3cret"])
def test_bearer_token_is_required_when_configured(lake: Lake, header) -> None:
    client = _with_token(lake).test_client()
    headers = {"Authorization": header} if header else {}
    response = client.post("/events", json=make_events(1), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["status"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _bronze_files(lake) == []


def test_right_bearer_token_is_accepted(lake: Lake) -> None:
    client = _with_token(lake).test_client()
    response = client.post(
        "/events", json=make_events(1), headers={"Authorization": "Bearer s3cret"}
    )
    assert response.status_code == 201


def test_unknown_routes_and_methods_answer_json(client: FlaskClient) -> None:
    not_found = client.get("/nope")
    assert not_found.status_code == 404 and not_found.get_json()["status"] == "not_found"
    wrong_method = client.get("/events")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["status"] == "method_not_allowed"
    assert "POST" in wrong_method.headers["Allow"]
    assert client.delete("/health").status_code == 405


def test_options_lists_the_methods_without_a_body(client: FlaskClient) -> None:
    response = client.options("/events")
    assert response.status_code == 204 and response.data == b""
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert "Content-Type" not in response.headers


def test_storage_failure_is_503_json_and_acknowledges_nothing(
    client: FlaskClient, lake: Lake, monkeypatch
) -> None:
    def broken(self, layer, relative, data):
        raise OSError("bucket unavailable")

    assert client.get("/health").get_json()["storage"] == {
        "status": "unknown",
        "last_failure": None,
    }
    monkeypatch.setattr(Lake, "write_bytes_atomic", broken)
    monkeypatch.setattr(Lake, "create_bytes_exclusive", broken)
    response = _post(client, {"batch_id": str(uuid.UUID(int=4)), "events": make_events(2)})
    assert response.status_code == 503
    payload = response.get_json()
    assert payload["status"] == "storage_failed"
    assert payload["storage"] == {"status": "failed"}
    # /health says so (still 200: the receiver answers), naming the error's type only.
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["status"] == "degraded"
    storage = health.get_json()["storage"]
    assert storage["status"] == "failing" and storage["last_failure"]["error"] == "OSError"
    assert "bucket unavailable" not in health.get_data(as_text=True)
    monkeypatch.undo()
    assert (
        _post(client, {"batch_id": str(uuid.UUID(int=4)), "events": make_events(2)}).status_code
        == 201
    )
    health = client.get("/health").get_json()
    assert health["status"] == "ok" and health["storage"]["status"] == "ok"
    assert health["storage"]["last_failure"]["error"] == "OSError"
    assert health["ingest"]["storage_failures"] == 1


def test_concurrent_identical_posts_land_once(app: Flask, lake: Lake) -> None:
    envelope = json.dumps({"batch_id": str(uuid.UUID(int=5)), "events": make_events(50)})
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def post() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        statuses.append(_post(client, envelope).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [200] * 5 + [201]
    (path,) = _bronze_files(lake)
    assert len(path.read_bytes().splitlines()) == 50


def test_health_is_200_json(client: FlaskClient) -> None:
    _post(client, make_events(2))
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["ingest"]["events_accepted"] == 2
    assert body["stream"] == {"clients": 0, "dropped_events": 0, "queue_size": 10_000}


def test_an_integer_bronze_cannot_hold_is_refused(client: FlaskClient, lake: Lake) -> None:
    """Bronze columns are int64: a bigger value is a 400 now, not a quarantined line later."""
    [event] = make_events(1)
    response = _post(client, [{**event, "encounter_duration_ms": 2**63}])
    assert response.status_code == 400
    [problem] = response.get_json()["errors"][0]["errors"]
    assert problem["loc"] == ["encounter_duration_ms"] and problem["type"] == "less_than_equal"
    assert _bronze_files(lake) == []
    assert _post(client, [{**event, "encounter_duration_ms": 2**63 - 1}]).status_code == 201


def test_spaces_around_untrimmable_fields_are_trimmed_like_any_string(
    client: FlaskClient, lake: Lake
) -> None:
    # CONTRACT §1 trims strings; the union tag, the UUID and the timestamps are parsed by types
    # pydantic-core cannot trim, so these reach the receiver's retry.
    events = make_events(3)
    keys = ("event_type", "event_id", "timestamp")
    padded = [{**e, **{k: f" {e[k]}\t" for k in keys}} for e in events]
    padded[1]["ingestion_timestamp"] = " 2026-01-05T20:00:00Z "
    response = _post(client, {"events": padded, "source": "padded"})
    assert response.status_code == 201, response.get_json()
    [path] = _bronze_files(lake)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["event_type"] for line in lines] == [e["event_type"] for e in events]
    assert [line["event_id"] for line in lines] == [e["event_id"] for e in events]
    assert lines[1]["ingestion_timestamp"].startswith("2026-01-05T20:00:00")


def test_a_padded_batch_with_a_real_error_reports_only_the_real_error(
    client: FlaskClient, lake: Lake
) -> None:
    events = make_events(3)
    events[0]["event_type"] = f"  {events[0]['event_type']} "
    events[2]["source_player_name"] = ""
    response = _post(client, events)
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == "validation_failed"
    assert (body["valid_count"], body["invalid_count"]) == (2, 1)
    assert [(e["index"], e["errors"][0]["loc"]) for e in body["errors"]] == [
        (2, ["source_player_name"])
    ]
    assert _bronze_files(lake) == []


@pytest.mark.parametrize(
    "envelope", [{"batch_id": "nope"}, {"surprise": 1}, {"source": ""}], ids=str
)
def test_an_envelope_error_is_the_answer_however_many_event_errors_come_with_it(
    client: FlaskClient, envelope: dict
) -> None:
    """Past 1,000 errors the answer looked at the events alone: a bad batch_id beside 1,100
    event errors got validation_failed where 100 event errors got invalid_envelope (review)."""
    answers = []
    for unknown_keys in (1, 11):  # 100 and 1,100 event errors
        events = make_events(100)
        for event in events:
            event |= {f"surprise{i}": i for i in range(unknown_keys)}
        answers.append(_post(client, {**envelope, "events": events}))
    few, many = answers
    assert few.status_code == many.status_code == 400
    assert few.get_json()["status"] == "invalid_envelope"
    assert many.get_json() == few.get_json()


def test_an_event_described_briefly_keeps_its_lists_whole(client: FlaskClient) -> None:
    event = make_events(1)[0] | {"data_quality_flags": [1] * 30}
    event |= {f"surprise{i}": i for i in range(1_100)}
    listed = _post(client, [event]).get_json()["errors"][0]["errors"]
    flags = [e for e in listed if e["loc"] == ["data_quality_flags"]]
    assert flags and "30 of its 30 items are not strings" in flags[0]["msg"]


def test_a_damaged_manifest_is_a_500_naming_the_batch_not_a_503_to_retry_forever(
    client: FlaskClient, lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    """A re-POST of a batch whose manifest is damaged answered 503 "retry later": clients
    retried forever, and no operator was told which file to repair."""
    envelope = {"batch_id": AGAIN, "events": make_events(3)}
    assert _post(client, envelope).status_code == 201
    manifest = Path(lake.path("bronze", f"_batches/{AGAIN}.json"))
    manifest.write_text("{not json", encoding="utf-8")
    response = _post(client, envelope)
    assert response.status_code == 500 and "Retry-After" not in response.headers
    payload = response.get_json()
    assert payload["status"] == "bronze_manifest_damaged" and payload["batch_id"] == AGAIN
    assert f"the bronze manifest of batch {AGAIN} is damaged" in payload["error"]
    assert f"{manifest} is not valid JSON" in caplog.text  # the operator's log names the file
    assert manifest.read_text(encoding="utf-8") == "{not json"  # nothing acknowledged, or written
