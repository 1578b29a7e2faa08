"""The word index in front of the rule patterns never hides a match."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agent_desk.triage import default_rules
from agent_desk.triage.prefilter import IndexedPatterns, index_words, leading_words

RULES = default_rules()
SETS: list[IndexedPatterns] = [RULES.explicit.match, RULES.failure_report.match, *(t.patterns.match for t in RULES.topics),
                               *RULES.areas.values()]
VOCABULARY = sorted({w for s in SETS for p in s.patterns for w in re.findall(r"[a-z']{2,}", p.pattern)})


def test_leading_words_are_read_from_the_pattern():
    assert leading_words(r"\b(sue|suing|sued)\b") == [("sue", True), ("suing", True), ("sued", True)]
    assert leading_words(r"\bsmok(e|ing)") == [("smoke", False), ("smoking", False)]  # "smokes" too
    assert leading_words(r"human resources?") == [("human", False)]  # no \b before: inside words too
    assert leading_words(r"(a|b)?\d+") is None  # no leading word: always tried


texts = st.lists(
    st.one_of(st.sampled_from(VOCABULARY), st.text(alphabet="abcdeiou'-&# .,!?", min_size=1, max_size=6)),
    min_size=1,
    max_size=12,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=texts, glue=st.sampled_from([" ", "", "-", "s ", "'"]))
def test_the_index_finds_whatever_the_patterns_find(text, glue):
    text = text.replace(" ", glue, 1)
    words = index_words(text)
    for indexed in SETS:
        expected = any(p.search(text) for p in indexed.patterns)
        assert bool(indexed.search(text, words)) == expected, (text, indexed.patterns[:3])
