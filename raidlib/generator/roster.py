"""Who raids: a guild roster that persists across raids (and a JSON file), or fresh PUG players."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from raidlib.generator.specs import MAX_LEVEL, Spec, find_spec, specs_for_role

ROSTER_FORMAT_VERSION = 1

_NAME_HEADS = (
    "Ael", "Bran", "Cael", "Dra", "Eld", "Fen", "Gor", "Hal", "Ily", "Jor", "Kael", "Lor",
    "Mor", "Nym", "Or", "Pyr", "Quel", "Rha", "Syl", "Thal", "Ul", "Val", "Wyr", "Xan",
    "Yse", "Zul", "Ash", "Bel", "Cor", "Dun", "Ever", "Grim", "Helm", "Iron", "Kor", "Mal",
)  # fmt: skip
_NAME_TAILS = (
    "adris", "bane", "dor", "dris", "gar", "grim", "hild", "ion", "ira", "keth", "lan",
    "mir", "mora", "nar", "nor", "ria", "rok", "ros", "sha", "thas", "thor", "vash", "wen",
    "wyn", "zar", "anna", "eth", "iel", "orin", "umar",
)  # fmt: skip
_REALMS = (
    ("1305", "Silvermoon"),
    ("1403", "Draenor"),
    ("1084", "Tarren Mill"),
    ("1096", "Ravencrest"),
    ("3674", "Twisting Nether"),
    ("1379", "Kazzak"),
)


@dataclass(frozen=True)
class Player:
    """One raider. ``skill`` (≈1.0) scales the damage and healing they do and how rarely they die."""

    player_id: str
    player_name: str
    player_class: str
    player_spec: str
    player_role: str
    player_level: int
    skill: float

    @property
    def spec(self) -> Spec:
        return find_spec(self.player_class, self.player_spec)


def role_counts(n_players: int) -> dict[str, int]:
    """A raid composition: 2 tanks (1 below 10 players), one healer per five, the rest dps."""
    if n_players < 1:
        raise ValueError("a raid needs at least one player")
    tanks = min(n_players, 2 if n_players >= 10 else 1)
    healers = min(n_players - tanks, max(1, round(n_players / 5)))
    return {"tank": tanks, "healer": healers, "dps": n_players - tanks - healers}


class Roster:
    """An ordered set of players, saved as JSON so the same people come back raid after raid."""

    def __init__(self, players: list[Player], name: str = "guild") -> None:
        ids = [p.player_id for p in players]
        if len(set(ids)) != len(ids):
            raise ValueError("player ids in a roster must be unique")
        self.players = list(players)
        self.name = name

    def __len__(self) -> int:
        return len(self.players)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Roster) and self.players == other.players

    def __repr__(self) -> str:
        return f"Roster(name={self.name!r}, players={len(self.players)})"

    @classmethod
    def create(
        cls,
        n_players: int,
        seed: int,
        *,
        name: str = "guild",
        skill_mean: float = 1.0,
        skill_sd: float = 0.1,
    ) -> Roster:
        """Draw ``n_players`` players with the composition of :func:`role_counts`.

        Specs are drawn uniformly among the specs that play each role; ids (``Player-<realm>-<hex>``,
        like the game's GUIDs) and ``Name-Realm`` names are unique within the roster and follow
        from ``seed`` alone.
        """
        rng = np.random.default_rng(seed)
        specs: list[Spec] = []
        for role, count in role_counts(n_players).items():
            choices = specs_for_role(role)
            specs.extend(choices[i] for i in rng.integers(0, len(choices), size=count))
        names = _unique_names(rng, n_players)
        realms = rng.integers(0, len(_REALMS), size=n_players)
        ids = _unique_ids(rng, realms)
        skills = np.clip(rng.normal(skill_mean, skill_sd, size=n_players), 0.3, 2.0)
        players = [
            Player(
                player_id=ids[i],
                player_name=f"{names[i]}-{_REALMS[realms[i]][1]}",
                player_class=spec.player_class,
                player_spec=spec.spec,
                player_role=spec.role,
                player_level=MAX_LEVEL,
                skill=round(float(skills[i]), 3),
            )
            for i, spec in enumerate(specs)
        ]
        return cls(players, name=name)

    def frame(self) -> pd.DataFrame:
        """The players as a DataFrame (one row each, columns as the :class:`Player` fields)."""
        return pd.DataFrame([asdict(p) for p in self.players], columns=list(Player.__annotations__))

    def to_json(self) -> str:
        body = {
            "format_version": ROSTER_FORMAT_VERSION,
            "name": self.name,
            "players": [asdict(p) for p in self.players],
        }
        return json.dumps(body, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Roster:
        """The roster :meth:`to_json` wrote; anything else raises ``ValueError`` saying why."""
        body = json.loads(text)
        if not isinstance(body, dict):
            raise ValueError("a roster is a JSON object with format_version and players")
        version = body.get("format_version")
        if version != ROSTER_FORMAT_VERSION:
            raise ValueError(f"unsupported roster format_version {version!r}")
        entries = body.get("players")
        if not isinstance(entries, list):
            raise ValueError("a roster's players must be a JSON list")
        players = []
        for k, entry in enumerate(entries):
            try:
                player = Player(**entry)
                player.spec  # noqa: B018 — fails fast on a class/spec pair the game does not have
            except (TypeError, KeyError) as exc:  # not an object, unknown or missing keys, no spec
                reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
                raise ValueError(f"roster player {k}: {reason}") from exc
            players.append(player)
        return cls(players, name=body.get("name", "guild"))

    def save(self, path: str | Path) -> None:
        """Write the roster as JSON (atomically: a temp file renamed over ``path``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> Roster:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def load_or_create(cls, path: str | Path, n_players: int, seed: int) -> Roster:
        """The roster saved at ``path``; on first use create one and save it there."""
        if Path(path).exists():
            return cls.load(path)
        roster = cls.create(n_players, seed)
        roster.save(path)
        return roster

    def pick_team(self, n_players: int, rng: np.random.Generator) -> list[Player]:
        """The players who join a raid of ``n_players``: everyone when the roster is no larger,
        else a role-balanced draw (the composition of :func:`role_counts`, topped up from any role
        the roster lacks), in roster order."""
        if len(self.players) <= n_players:
            return list(self.players)
        chosen: list[int] = []
        for role, count in role_counts(n_players).items():
            pool = [i for i, p in enumerate(self.players) if p.player_role == role]
            take = min(count, len(pool))
            chosen.extend(int(i) for i in rng.choice(pool, size=take, replace=False))
        rest = [i for i in range(len(self.players)) if i not in set(chosen)]
        missing = n_players - len(chosen)
        if missing:
            chosen.extend(int(i) for i in rng.choice(rest, size=missing, replace=False))
        return [self.players[i] for i in sorted(chosen)]


def _unique_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        heads = rng.integers(0, len(_NAME_HEADS), size=2 * n)
        tails = rng.integers(0, len(_NAME_TAILS), size=2 * n)
        for h, t in zip(heads, tails, strict=True):
            name = _NAME_HEADS[h] + _NAME_TAILS[t]
            if len(seen) >= len(_NAME_HEADS) * len(_NAME_TAILS) // 2:
                name += str(len(names))  # huge rosters: keep names unique
            if name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == n:
                    break
    return names


def _unique_ids(rng: np.random.Generator, realms: np.ndarray) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    for realm in realms:
        while True:
            pid = f"Player-{_REALMS[realm][0]}-{int(rng.integers(0, 2**32)):08X}"
            if pid not in seen:
                break
        seen.add(pid)
        ids.append(pid)
    return ids
