"""Property tests of the tokenizers: fields -> log line -> fields round-trips."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from raidlib.combatlog.tokenize import restore_commas, split_fields, tokenize, unquote

_PLAIN = st.text(
    alphabet=st.characters(blacklist_characters=',"[]()\n\r\x1f\x00', blacklist_categories=("Cs",)),
    min_size=0,
    max_size=12,
)
_QUOTED_TEXT = st.text(
    alphabet=st.characters(blacklist_characters='"\n\r\x1f\x00', blacklist_categories=("Cs",)),
    max_size=16,
)


def _group(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(_PLAIN.filter(bool), _QUOTED_TEXT.map(lambda s: f'"{s}"'))
    inner = leaf if depth == 0 else st.one_of(leaf, _group(depth - 1))
    return st.tuples(st.sampled_from("[("), st.lists(inner, max_size=4)).map(
        lambda t: t[0] + ",".join(t[1]) + ("]" if t[0] == "[" else ")")
    )


# (raw text in the line, the value the tokenizer must give back)
_FIELD = st.one_of(
    _PLAIN.filter(lambda s: s[:1] not in ("[", "(")).map(lambda s: (s, s)),
    _QUOTED_TEXT.map(lambda s: (f'"{s}"', s)),
    _group(2).map(lambda s: (s, s)),
)


@given(st.lists(_FIELD, min_size=1, max_size=12))
def test_tokenize_round_trip(fields):
    line = ",".join(raw for raw, _ in fields)
    assert tokenize(line) == [value for _, value in fields]


_FLAT_FIELD = st.one_of(
    _PLAIN.map(lambda s: (s, s)),
    _QUOTED_TEXT.map(lambda s: (f'"{s}"', s)),
)


@given(st.lists(st.lists(_FLAT_FIELD, min_size=1, max_size=10), min_size=1, max_size=8))
def test_vectorised_split_matches_tokenizer(rows):
    lines = [",".join(raw for raw, _ in row) for row in rows]
    (plain, relisted), pos, fixed = split_fields(pa.array(lines, pa.string()))
    for i, row in enumerate(rows):
        part, p = (plain, pos[i]) if pos[i] < len(lines) else (relisted, pos[i] - len(lines))
        got = pa.array(part[p].as_py(), pa.string())
        got = unquote(got)
        if fixed:
            got = restore_commas(got)
        values = ["nil" if v is None else v for v in got.to_pylist()]
        expected = [value for _, value in row]
        assert values == expected
        assert tokenize(lines[i]) == expected


def test_real_quirks():
    assert tokenize('3135,"Dimensius, the All-Devouring",14,23,2810') == [
        "3135",
        "Dimensius, the All-Devouring",
        "14",
        "23",
        "2810",
    ]
    assert tokenize("Player-1,1,251,[(76037,96165,1),(2,3,1)],(0,0),[]") == [
        "Player-1",
        "1",
        "251",
        "[(76037,96165,1),(2,3,1)]",
        "(0,0)",
        "[]",
    ]
    assert tokenize('"Висмарк-СвежевательДуш-EU",0x514') == ["Висмарк-СвежевательДуш-EU", "0x514"]
