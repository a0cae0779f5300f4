"""Compare a patient name read from a document with the name on a request.

Names are compared word by word after folding case and accents, splitting
hyphenated names and dropping titles, suffixes and the Spanish particles
"de", "del", "la", "las", "los" and "y". Words are paired one to one in
whatever order gives the best agreement, so "Ruiz Soto, Ana" and
"Ana Ruiz Soto" agree exactly. Two words agree when any of these holds:

- they are equal;
- one is a nickname of the other (the ``nicknames`` package for English
  names, ``SPANISH_NICKNAMES`` here for Spanish ones);
- they are one or two typing errors apart (Damerau-Levenshtein distance,
  from rapidfuzz);
- they sound alike (Metaphone, from jellyfish).

Known limits: a one-letter difference between two real given names
("Daniel" and "Danielle") counts as a typing error, and initials are
ignored, so "J. Smith" and "K. Smith" agree as well as "Smith" does.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

NAME_LEVELS = ("exact", "variant", "subset", "partial", "disagree", "missing")
"""Agreement levels of two names, from the strongest to none."""

DROPPED_WORDS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "dra", "sr", "sra", "srta", "jr", "ii",
        "iii", "iv", "de", "del", "la", "las", "los", "y", "don", "dona",
    }
)  # fmt: skip
"""Titles, suffixes and particles left out of the comparison."""

SPANISH_NICKNAMES = {
    "pepe": "jose", "paco": "francisco", "pancho": "francisco",
    "lupe": "guadalupe", "lupita": "guadalupe", "chuy": "jesus",
    "nacho": "ignacio", "quique": "enrique", "memo": "guillermo",
    "lalo": "eduardo", "beto": "alberto", "tono": "antonio", "lola": "dolores",
    "concha": "concepcion", "charo": "rosario", "chelo": "consuelo",
    "chema": "jose maria", "maite": "maria teresa", "marisol": "maria soledad",
    "toni": "antonio", "rafa": "rafael", "manolo": "manuel", "fito": "adolfo",
    "nico": "nicolas", "andy": "andres", "ximena": "jimena",
}  # fmt: skip
"""Spanish nicknames and spelling variants, each with its full given name."""

OCR_DIGITS = str.maketrans("0158", "olsb")
"""Digits OCR reads in place of letters; names have no digits of their own."""
OCR_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("l", "i"))
"""Letter groups OCR confuses, each rewritten to one form before comparing."""

WORD_EXACT, WORD_VARIANT, WORD_PHONETIC, WORD_NONE = 3, 2, 1, 0
MAX_WORDS = 6
"""Words per name paired exhaustively; longer names are paired greedily."""


@dataclass(frozen=True)
class NameComparison:
    """The agreement of two names: a level from ``NAME_LEVELS`` and a short note."""

    level: str
    note: str = ""


@dataclass(frozen=True)
class NameWords:
    """A name split into comparable words, with initials kept apart."""

    words: tuple[str, ...]
    initials: tuple[str, ...]

    @property
    def joined(self) -> str:
        """All letters of the name in order, for names split differently."""
        return "".join(self.words + self.initials)


_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "o", "ß": "ss", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i"}
)
"""Latin letters that Unicode does not split into a base letter and an accent.
OCR also reads a plain "i" as the dotless "ı" now and then."""


def fold(text: str) -> str:
    """Return ``text`` in lower case without accents (José becomes jose)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return kept.translate(_UNDECOMPOSED).casefold()


@lru_cache(maxsize=4096)
def split_name(text: str | None) -> NameWords:
    """Split a name into folded words, dropping titles and particles."""
    if not text:
        return NameWords((), ())
    folded = fold(text).translate(OCR_DIGITS).replace("'", "").replace("’", "")
    tokens = [token for token in re.split(r"[^a-z]+", folded) if token]
    words = tuple(t for t in tokens if len(t) > 1 and t not in DROPPED_WORDS)
    initials = tuple(t for t in tokens if len(t) == 1)
    return NameWords(words, initials)


@lru_cache(maxsize=1)
def _namer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=4096)
def are_nicknames(first: str, second: str) -> bool:
    """Return True when one folded given name is a nickname of the other."""
    for short, full in ((first, second), (second, first)):
        if SPANISH_NICKNAMES.get(short) == full:
            return True
    namer = _namer()
    related = namer.nicknames_of(second) | namer.canonicals_of(second)
    return first in related


@lru_cache(maxsize=4096)
def nickname_relatives(word: str) -> frozenset[str]:
    """Return the one-word names that ``are_nicknames`` pairs with a folded word.

    The ``nicknames`` package lists each pair both ways (a nickname's full
    names and a full name's nicknames), and the Spanish table is read both
    ways here.
    """
    namer = _namer()
    relatives = set(namer.nicknames_of(word) | namer.canonicals_of(word))
    for short, full in SPANISH_NICKNAMES.items():
        if short == word:
            relatives.add(full)
        if full == word:
            relatives.add(short)
    return frozenset(relative for relative in relatives if " " not in relative)


def fold_lookalikes(word: str) -> str:
    """Return ``word`` with the letter groups OCR confuses rewritten to one form."""
    for group, replacement in OCR_LOOKALIKES:
        word = word.replace(group, replacement)
    return word


@lru_cache(maxsize=16384)
def compare_words(first: str, second: str) -> int:
    """Return how well two folded words agree, ``WORD_EXACT`` down to ``WORD_NONE``."""
    if first == second:
        return WORD_EXACT
    if are_nicknames(first, second):
        return WORD_VARIANT
    if fold_lookalikes(first) == fold_lookalikes(second):
        return WORD_VARIANT
    shorter = min(len(first), len(second))
    if shorter < 4:
        allowed = 0
    elif shorter < 8:
        allowed = 1
    else:
        allowed = 2
    if DamerauLevenshtein.distance(first, second) <= allowed:
        return WORD_VARIANT
    if (
        shorter >= 4
        and JaroWinkler.similarity(first, second) >= 0.85
        and jellyfish.metaphone(first) == jellyfish.metaphone(second)
    ):
        return WORD_PHONETIC
    return WORD_NONE


def pair_words(first: tuple[str, ...], second: tuple[str, ...]) -> list[int]:
    """Pair the words of two names one to one for the best total agreement.

    Returns:
        The agreement of each pair, one entry per word of the shorter name
        (``WORD_NONE`` where its best partner disagrees).
    """
    short, long_ = (first, second) if len(first) <= len(second) else (second, first)
    grid = [[compare_words(a, b) for b in long_] for a in short]
    if len(long_) > MAX_WORDS:
        return _pair_greedily(grid)

    best: list[int] = []
    for columns in itertools.permutations(range(len(long_)), len(short)):
        pairs = [grid[row][column] for row, column in enumerate(columns)]
        if sum(pairs) > sum(best) or not best:
            best = pairs
    return best


def _pair_greedily(grid: list[list[int]]) -> list[int]:
    taken: set[int] = set()
    pairs = []
    for row in grid:
        free = [
            (value, column) for column, value in enumerate(row) if column not in taken
        ]
        value, column = max(free)
        taken.add(column)
        pairs.append(value)
    return pairs


def compare_names(
    document_name: str | None, request_name: str | None
) -> NameComparison:
    """Compare the name on a document with the name on a request.

    Levels:

    - ``exact``: the same words, in any order.
    - ``variant``: every word paired, some through a nickname, a typing
      error or the sound; or the same letters split differently.
    - ``subset``: every word of the shorter name paired, at least two of
      them, and the longer name has more words (a dropped second surname
      or middle name).
    - ``partial``: some words pair and some do not (a relative, or twins).
    - ``disagree``: no word pairs; ``missing``: a name is absent.
    """
    first = split_name(document_name)
    second = split_name(request_name)
    if not first.words or not second.words:
        return NameComparison("missing")

    if sorted(first.words) == sorted(second.words):
        order = "same order" if first.words == second.words else "words reordered"
        return NameComparison("exact", order)
    if first.joined == second.joined:
        return NameComparison("variant", "same letters, split differently")

    pairs = pair_words(first.words, second.words)
    paired = [value for value in pairs if value > WORD_NONE]
    extra = abs(len(first.words) - len(second.words))
    if not paired:
        return NameComparison("disagree")
    if len(paired) < len(pairs):
        return NameComparison("partial", f"{len(paired)} of {len(pairs)} words pair")
    if extra == 0:
        return NameComparison("variant", _describe(pairs))
    if len(paired) >= 2:
        return NameComparison("subset", f"{extra} word(s) only on one side")
    return NameComparison("partial", "one word pairs, the other name is longer")


def _describe(pairs: list[int]) -> str:
    phonetic = pairs.count(WORD_PHONETIC)
    variant = pairs.count(WORD_VARIANT)
    notes = []
    if variant:
        notes.append(f"{variant} word(s) a nickname or typing error away")
    if phonetic:
        notes.append(f"{phonetic} word(s) alike in sound")
    return ", ".join(notes)
