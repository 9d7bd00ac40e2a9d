"""`@name` in a comment: which teammates it mentions.

A handle is a teammate's full name with everything but letters and digits removed (`@SamLee`,
`@samlee` for "Sam Lee"; `@MaryJaneOKeefe` for "Mary-Jane O'Keefe"), or their first name alone
(`@Sam`) when no other live member of the account has that first name. Case does not matter. A
handle that matches nobody, or a first name two people share, mentions nobody: the text stays as
written. Mentions never reach removed users, and only teammates who may read the session are told
(the others could not open the link).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_HANDLE_RE = re.compile(r"(?<![\w@])@([^\W_][\w'’.-]{0,79})", re.UNICODE)


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    name: str


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def handle_of(name: str) -> str:
    """The full-name handle people type: `Sam Lee` → `SamLee`."""
    return "".join(ch for ch in name if ch.isalnum())


def mentioned(body: str, people: Iterable[Person]) -> list[Person]:
    """The people `body` mentions, in the order first mentioned, each once."""
    people = list(people)
    full = {_squash(p.name): p for p in people}
    firsts = Counter(_squash(p.name.split()[0]) for p in people if p.name.split())
    first = {
        _squash(p.name.split()[0]): p
        for p in people
        if p.name.split() and firsts[_squash(p.name.split()[0])] == 1
    }
    found: dict[uuid.UUID, Person] = {}
    for match in _HANDLE_RE.finditer(body):
        key = _squash(match.group(1))
        person = full.get(key) or first.get(key)
        if person is not None:
            found.setdefault(person.id, person)
    return list(found.values())
