"""Gated patterns find exactly what the plain pattern finds: the strings they look for first are only
ever a shortcut."""

import random
import re

import pytest

from pm_analytics.parse.patterns import Gated, required_strings
from pm_analytics.parse.vocabulary import PROSE_CUES, TIMELINE_WORDS

TRICKY = [
    (r"\bstatus[ \t]*:", re.I),  # re.I folds 'ſ' to 's': non-ASCII text is always searched
    (r"abc|", 0),  # an empty alternative: no string is required
    (r"(?:done)?", 0),
    (r"x(?i:ERROR)y|warn(?:ing)+", 0),
    (r"(?<=sev)\d|p[0-4] incident", 0),
    (r"(?=resolved)\w+|closed", re.I),
    (r"a{2}bc|(?:de)f", 0),
]


@pytest.mark.parametrize("pattern, flags", [(p, 0) for _, p in TIMELINE_WORDS] + [(p, re.I) for _, p in PROSE_CUES]
                         + TRICKY)
def test_a_gated_pattern_finds_what_the_pattern_finds(pattern, flags):
    plain, gated = re.compile(pattern, flags), Gated(pattern, flags)
    words = re.findall(r"[A-Za-z]{2,}", pattern) + ["ſtatus", "STATUS:", "İ", "K", " ", ":", "5", "sev2", "é"]
    rng = random.Random(pattern)
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice(["", " ", "-", "."]) for _ in range(rng.randint(0, 6)))
        found, expected = gated.search(text), plain.search(text)
        assert (found and found.span(), found and found.groups()) == (expected and expected.span(),
                                                                       expected and expected.groups()), text


def test_required_strings_are_each_alternatives_longest_plain_run():
    assert required_strings(r"\bwar ?room\b|\bescalated\b") == (frozenset({"escalated", "room"}), False)
    assert required_strings(r"Resolved|MITIGATED", re.I) == (frozenset({"resolved", "mitigated"}), True)
    assert required_strings(r"\d+ min|x") == (None, False)
