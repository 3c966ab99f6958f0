"""When a spelling the index holds may be offered for a word that found nothing.

The index's corrector proposes every term within an edit distance; for a word of two
Chinese characters a distance of two is every other word, so 党章 was offered 农 (issue
14.7). A proposal is offered only when it is close in the way people mistype:

- letters (pinyin, mostly): one typo — a wrong, missing, extra or swapped letter — per
  five letters, at least one: ``shuidoa`` → ``shuidao``;
- Chinese: a word of the same length that sounds the same, which is what pinyin input
  gives when the wrong candidate is picked (水到 → 水稻); in a word of four characters or
  more, also one character changed (科学发展规 → 科学发展观).

The caller then offers it only if searching for it finds something (indexer/search_index).
"""

from __future__ import annotations

from indexer.analysis import pinyin_of


def typos(a: str, b: str) -> int:
    """Edits between ``a`` and ``b``, a swap of neighbours counting one (optimal string
    alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def allowed_typos(word: str) -> int:
    return max(1, len(word) // 5)


def close_enough(asked: str, found: str) -> bool:
    """Whether ``found`` may be offered as "did you mean" for ``asked``."""
    if not found or asked == found or asked.isascii() != found.isascii():
        return False
    if asked.isascii():
        return typos(asked, found) <= allowed_typos(asked)
    if len(asked) != len(found):
        return False
    if pinyin_of(asked) == pinyin_of(found):
        return True
    return len(asked) >= 4 and sum(a != b for a, b in zip(asked, found, strict=True)) == 1
