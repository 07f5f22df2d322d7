"""Patterns that skip text they cannot match.

A pattern of many alternatives (the timeline's words, the prose cues) is tried at every character of
the text it searches. :class:`Gated` works out from the pattern itself a few strings of which every
match holds one (for each alternative its longest run of plain characters), and runs the pattern only
on text holding one of them: the same matches, without scanning text that holds none. A pattern it
cannot tell that about is always run.
"""

from __future__ import annotations

import re
import sys

try:
    from re import _parser as _sre_parse  # the parser re itself uses (Python 3.11 on)
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse

MIN_CHARS = 3
_REPEATS = {_sre_parse.MAX_REPEAT, _sre_parse.MIN_REPEAT, getattr(_sre_parse, "POSSESSIVE_REPEAT", None)}


def required_strings(pattern: str, flags: int = 0) -> tuple[frozenset[str] | None, bool]:
    """Strings of ``MIN_CHARS`` characters or more one of which every match of ``pattern`` holds, or
    ``None`` when some alternative holds none; and whether they are lower-cased (a case-insensitive
    pattern, where they are only telling for ASCII text)."""
    try:
        parsed = _sre_parse.parse(pattern, flags)
        if parsed.state.flags & re.LOCALE:
            return None, False
        folded = bool(parsed.state.flags & re.IGNORECASE) or _inline_ignorecase(parsed)
        return _best(_required(parsed, folded)), folded
    except Exception:  # noqa: BLE001 - a pattern this cannot read is simply always run
        return None, False


def _inline_ignorecase(items) -> bool:
    """Whether a ``(?i:...)`` group sits anywhere in the parsed pattern."""
    for op, av in items:
        if op is _sre_parse.SUBPATTERN and (av[1] & re.IGNORECASE or _inline_ignorecase(av[3])) \
                or op is _sre_parse.BRANCH and any(_inline_ignorecase(alternative) for alternative in av[1]) \
                or op in _REPEATS and _inline_ignorecase(av[2]) \
                or op is _sre_parse.ATOMIC_GROUP and _inline_ignorecase(av):
            return True
    return False


def _required(items, folded: bool) -> list[frozenset[str]]:
    """Sets of strings such that every match of the sequence ``items`` holds a string of each set."""
    found: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _sre_parse.LITERAL and (not folded or av < 128):
            run.append(chr(av).lower() if folded else chr(av))
            continue
        if run:
            found.append(frozenset({"".join(run)}))
            run = []
        if op is _sre_parse.SUBPATTERN:
            found.extend(_required(av[3], folded))
        elif op is _sre_parse.ATOMIC_GROUP:
            found.extend(_required(av, folded))
        elif op in _REPEATS and av[0] >= 1:
            found.extend(_required(av[2], folded))
        elif op is _sre_parse.BRANCH:
            choices = [_best(_required(alternative, folded)) for alternative in av[1]]
            if all(choice is not None for choice in choices):
                found.append(frozenset().union(*choices))
    if run:
        found.append(frozenset({"".join(run)}))
    return found


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    """The most telling set: the one whose shortest string is longest, then the smallest."""
    usable = [s for s in sets if s and min(map(len, s)) >= MIN_CHARS]
    if not usable:
        return None
    return max(usable, key=lambda s: (min(map(len, s)), -len(s)))


class Gated:
    """A compiled pattern (``.rx``) searched only in text that holds one of its :func:`required_strings`."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.rx = re.compile(pattern, flags)
        words, self.folded = required_strings(pattern, flags)
        self.words = tuple(sorted(words)) if words else None

    def may_match(self, text: str) -> bool:
        """False only when ``text`` cannot hold a match."""
        if self.words is None:
            return True
        if self.folded:
            if not text.isascii():
                return True
            text = text.lower()
        for word in self.words:
            if word in text:
                return True
        return False

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match | None:
        return self.rx.search(text, pos, endpos) if self.may_match(text) else None

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.rx.finditer(text, pos, endpos) if self.may_match(text) else iter(())
