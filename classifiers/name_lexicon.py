"""Repair single misread letters in handwritten names with a list of names.

RapidOCR reads a handwritten name letter by letter and now and then picks
a wrong letter with high confidence: "Bvrne", "Crace", "Suan". A name is
not free text, though. Most given names and surnames of the center's
patients are in the US Census Bureau's name lists (1990 census: 5,494
given names and 88,799 surnames, public data that the PyPI package
``names`` ships).

For each word of a reading that is not a known name, the known names
within two edits are tried in its place. Each try is scored by how well
the recognizer's own character probabilities explain it: the CTC
likelihood of the whole line (``ReadLine.log_likelihood``), plus how
common the name is (its census rank). A name replaces the word only when
the image supports it almost as well as the reading, and image and
frequency together favour it clearly over every other name. A word read
right but missing from the lists (Thistlewood, Oyelaran) stays as read:
every other spelling of a clearly written word costs the line far more
than ``MAX_COST``.

Words cut in two or run together by RapidOCR are joined or split first
(``_join_pieces``, ``_split_run_together``).

The repaired value keeps the reading's case and accents where its letters
agree with the name.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, cached_property
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from classifiers.dates import fold_text
from classifiers.names import PARTICLES, TITLES
from classifiers.second_reader import ReadLine

log = logging.getLogger(__name__)

MAX_EDITS = 2
"""Maximum number of letters a repair may change, add or drop in one word."""
MIN_LETTERS = 3
"""Shorter words (initials, "Li", "Ng") are left alone: too many names lie
within two edits of them."""
MIN_NAME_LETTERS = 4
"""Shortest list name put in. Short names lie within two edits of many
misread words ("Aui" to "Ai", "frod" to "rod"), and none of the right
repairs measured was shorter."""
SHORT_NAME_LETTERS = 3
"""Shortest list name put in for a word one letter longer (see
``_one_letter_added``)."""
MAX_COST = 6.0
"""Maximum fall of the line's log likelihood (natural log) when a known
name replaces a word. Measured on two sample corpora (141 words not in the
lists): right repairs cost -0.1 to 5.7, most under 3, and changing a word
that was read right cost 10 or more. On the 184 name lines of two later
corpora, right repairs cost up to 6.0 and the cheapest change of a word
read right 7.1 ("Haale" to "Hale"), besides "Hagle" at 3.5, which the
frequency prior turns down."""
MAX_COST_KNOWN = 1.0
"""The same limit for a given name read as a word that the lists contain
only as a surname. "Crace" and "Sames" are misreads, but "Luc" is right."""
MIN_MARGIN = 1.5
"""Minimum lead of the chosen name over the next best known name, in log
likelihood plus log prior (``NameLists.log_prior``), so that a near tie
between two names keeps the reading."""
MAX_SPLIT_COST = 4.0
"""Maximum fall of the line's log likelihood when a space is put into a
word to make two listed names. Measured on the name lines of one sample
corpus: the one right split ("EVEASHWORTH") cost 2.7, and the seven wrong
ones that the lists allowed ("Thistle wood", "Achter berg", "Sor ear")
cost 6.2 to 21."""
CANDIDATE_LIMIT = 40
COMMON_SURNAME_RANK = 5000
"""Census rank a surname must reach to be put in for a printed "m" read
in place of "rn" ("Byrne" is 1224th)."""

_LETTERS = re.compile(r"^[^\W\d_]+$")
_NAME_AND_INITIAL = re.compile(r"([^\W\d_]{2,})([A-Z])\.")
"""A word of letters with a capital and a period stuck to its end: "NANCYC."."""


@dataclass(frozen=True)
class NameLists:
    """Known given names and surnames, folded to capitals without accents,
    each with its rank in the census (1 for the most common)."""

    given_ranks: dict[str, int]
    surname_ranks: dict[str, int]

    @cached_property
    def given(self) -> frozenset[str]:
        return frozenset(self.given_ranks)

    @cached_property
    def surnames(self) -> frozenset[str]:
        return frozenset(self.surname_ranks)

    @cached_property
    def every(self) -> frozenset[str]:
        """Both lists in one set, built once (about 94,000 names)."""
        return self.given | self.surnames

    def log_prior(self, name: str, is_given_name: bool) -> float:
        """Return the log of how common ``name`` is in its place, by rank.

        Name frequencies fall about as 1/rank (Zipf's law), so -log(rank)
        stands for the log share up to a constant. The census rounds shares
        to 0.001%, which leaves most names at zero, but ranks them all.
        """
        ranks = (self.given_ranks, self.surname_ranks)
        if not is_given_name:
            ranks = ranks[::-1]
        rank = ranks[0].get(name) or ranks[1].get(name) or len(self.surname_ranks)
        return -math.log(rank)


@cache
def census_names() -> NameLists:
    """Load the census lists from the ``names`` package (about 0.2 s, once)."""
    folder = resources.files("names")
    given = _read_list(folder, "dist.male.first")
    # A name on both lists keeps its better rank.
    for name, rank in _read_list(folder, "dist.female.first").items():
        given[name] = min(rank, given.get(name, rank))
    return NameLists(given, _read_list(folder, "dist.all.last"))


def _read_list(folder: resources.abc.Traversable, name: str) -> dict[str, int]:
    # Each line: NAME, share of people in %, cumulative share, rank.
    text = folder.joinpath(name).read_text(encoding="ascii")
    rows = (line.split() for line in text.splitlines() if line.strip())
    return {row[0]: int(row[3]) for row in rows}


@cache
def _choices(given_names_only: bool) -> list[str]:
    lists = census_names()
    return sorted(lists.given if given_names_only else lists.every)


def repair_name_line(line: ReadLine) -> str:
    """Return the line's text with misread name words replaced by known names.

    Args:
        line: A line RapidOCR read in a name field, with its probabilities.

    Returns:
        The repaired text; the reading itself when nothing was repaired or
        the line's probabilities are missing.
    """
    text = line.word.text
    score = line.log_likelihood(text)
    if score is None:
        return text

    tokens = text.split(" ")
    tokens, score = _join_pieces(line, tokens, score)
    tokens, score = _split_run_together(line, tokens, score)
    given_index = _given_name_index(tokens)
    for index, token in enumerate(tokens):
        # Right to left, so that a repair of another length leaves the
        # spans still to be tried where they were.
        for start, end in reversed(_name_parts(token)):
            is_given_name = index == given_index
            repaired = _best_name(line, tokens, index, start, end, score, is_given_name)
            if repaired is None:
                continue
            name, score = repaired
            tokens[index] = tokens[index][:start] + name + tokens[index][end:]
            log.debug("name word repaired from the name lists (%d letters)", len(name))
    return " ".join(tokens)


def _join_pieces(
    line: ReadLine, tokens: list[str], score: float
) -> tuple[list[str], float]:
    """Join the words RapidOCR cut in two: "Mar garet", "Domin gee", "Ve ga".

    A name word does not start with a small letter unless it is a
    particle ("de", "van"), so such a word is the rest of the word before
    it. It stays apart when it is a listed name itself ("Maria garcia",
    "Jo ann"), or when the image shows a clear gap there: joining must
    cost the line no more than ``MAX_COST``.
    """
    lists = census_names()
    index = 1
    while index < len(tokens):
        before, piece = tokens[index - 1], tokens[index]
        key = fold_text(piece).upper()
        is_piece = (
            _LETTERS.match(before) is not None
            and _LETTERS.match(piece) is not None
            and before[0].isupper()
            and piece[0].islower()
            and key.lower() not in PARTICLES
            and key not in lists.given
            and not (key in lists.surnames and len(key) >= MIN_NAME_LETTERS)
        )
        if is_piece:
            trial = [*tokens[: index - 1], before + piece, *tokens[index + 1 :]]
            trial_score = line.log_likelihood(" ".join(trial))
            if trial_score is not None and score - trial_score <= MAX_COST:
                log.debug("name word joined from two pieces")
                tokens, score = trial, trial_score
                continue
        index += 1
    return tokens, score


def _split_run_together(
    line: ReadLine, tokens: list[str], score: float
) -> tuple[list[str], float]:
    """Split a word that is two listed names written without a gap: "EVEASHWORTH".

    Only a word missing from the lists is split, before a capital letter,
    into two listed names of at least ``MIN_LETTERS`` letters each, and
    only where the image allows a space (``MAX_SPLIT_COST``) and no other
    cut comes close.
    """
    lists = census_names()
    out: list[str] = []
    for index, token in enumerate(tokens):
        initial = _split_initial(line, out, token, tokens[index + 1 :], score)
        if initial is not None:
            out += initial[0]
            score = initial[1]
            continue
        key = fold_text(token).upper()
        if (
            _LETTERS.match(token) is None
            or len(key) < 2 * MIN_LETTERS
            or key in lists.every
        ):
            out.append(token)
            continue
        trials = []
        for cut in range(MIN_LETTERS, len(token) - MIN_LETTERS + 1):
            # A name starts with a capital, so a word in small letters is
            # not two names ("Domingee" is not "Domin gee").
            if not token[cut].isupper():
                continue
            if key[:cut] in lists.every and key[cut:] in lists.every:
                trial = [*out, token[:cut], token[cut:], *tokens[index + 1 :]]
                trial_score = line.log_likelihood(" ".join(trial))
                if trial_score is not None:
                    trials.append((trial_score, cut))
        trials.sort(reverse=True)
        if trials:
            best_score, cut = trials[0]
            runner_up = trials[1][0] if len(trials) > 1 else -float("inf")
            if (
                score - best_score <= MAX_SPLIT_COST
                and best_score - runner_up >= MIN_MARGIN
            ):
                log.debug("name word split in two listed names")
                out += [token[:cut], token[cut:]]
                score = best_score
                continue
        out.append(token)
    return out, score


def _split_initial(
    line: ReadLine, before: list[str], token: str, after: list[str], score: float
) -> tuple[list[str], float] | None:
    """Split a name and the initial written right after it: "NANCYC." to "NANCY C.".

    The word must end in a capital and a period, the letters before them
    must be a listed given name while the whole word is not, and the image
    must allow a space there (``MAX_SPLIT_COST``).
    """
    match = _NAME_AND_INITIAL.fullmatch(token)
    if match is None:
        return None
    lists = census_names()
    name, letter = match.groups()
    key = fold_text(name).upper()
    if key not in lists.given or fold_text(name + letter).upper() in lists.every:
        return None
    parts = [name, letter + "."]
    trial_score = line.log_likelihood(" ".join([*before, *parts, *after]))
    if trial_score is None or score - trial_score > MAX_SPLIT_COST:
        return None
    log.debug("initial split from the name before it")
    return parts, trial_score


def _best_name(
    line: ReadLine,
    tokens: list[str],
    index: int,
    start: int,
    end: int,
    score: float,
    is_given_name: bool,
) -> tuple[str, float] | None:
    """Return the known name to put in for one word part, with the line's new score."""
    part = tokens[index][start:end]
    key = fold_text(part).upper()
    lists = census_names()
    if key in (lists.given if is_given_name else lists.every):
        return None

    max_cost = MAX_COST_KNOWN if key in lists.every else MAX_COST
    found = process.extract(
        key,
        _choices(is_given_name),
        scorer=Levenshtein.distance,
        score_cutoff=MAX_EDITS,
        limit=CANDIDATE_LIMIT,
    )
    scored = []
    for name, distance, _ in found:
        short = len(name) < MIN_NAME_LETTERS
        if short and not _one_letter_added(name, key, distance):
            continue
        spelled = styled_like(name, part)
        trial = list(tokens)
        trial[index] = trial[index][:start] + spelled + trial[index][end:]
        trial_score = line.log_likelihood(" ".join(trial))
        if trial_score is None:
            continue
        # A short name goes in only for a letter the image barely shows:
        # "Liam" read clearly must not become "Lia".
        if short and score - trial_score > MAX_COST_KNOWN:
            continue
        belief = trial_score + lists.log_prior(name, is_given_name)
        scored.append((belief, trial_score, spelled))
    if not scored:
        return None

    # Names are ranked by how well the image explains them times how common
    # they are, so "Elizabeth" wins over "Elizbeth". The image alone must
    # still explain the chosen name nearly as well as the reading.
    scored.sort(reverse=True)
    best_belief, best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else -float("inf")
    if score - best_score > max_cost or best_belief - runner_up < MIN_MARGIN:
        return None
    return best, best_score


def _one_letter_added(name: str, key: str, distance: int) -> bool:
    """Return True when ``key`` is a name of three letters with one letter added.

    Short names such as "Kim" are common surnames, and a stray stroke may
    be read as one more letter ("Ksim").
    """
    return (
        len(name) >= SHORT_NAME_LETTERS and distance == 1 and len(key) == len(name) + 1
    )


def _given_name_index(tokens: list[str]) -> int | None:
    """Return the index of the given name: the first word, or the first after
    the comma of "Last, First"."""
    start = 0
    for index, token in enumerate(tokens):
        if token.endswith(","):
            start = index + 1
            break
    for index in range(start, len(tokens)):
        folded = fold_text(tokens[index]).strip(".,").lower()
        if folded in TITLES:
            continue
        return index if len(folded) >= MIN_LETTERS else None
    return None


def _name_parts(token: str) -> list[tuple[int, int]]:
    """Return the spans of the letter runs of ``token`` worth repairing.

    Punctuation around a word ("Emil,") and the hyphen of a double name
    ("Montsomery-Fitzserald") split it; particles and short runs are skipped.
    """
    spans = []
    for match in re.finditer(r"[^\W\d_]+", token):
        part = match.group()
        if len(part) < MIN_LETTERS or fold_text(part).lower() in PARTICLES:
            continue
        if _LETTERS.match(part):
            spans.append((match.start(), match.end()))
    return spans


def repair_print_confusions(name: str) -> str:
    """Put back a printed "rn" that OCR read as "m" in a name's surname words.

    Tesseract may read a printed "rn" as "m" ("Byme" for "Byrne"). The
    census lists miss many right names, so a word is changed only where it
    is unlisted, is not the given name, and the swap makes exactly one of
    the ``COMMON_SURNAME_RANK`` most common surnames.
    """
    lists = census_names()
    words = name.split(" ")
    for index, word in enumerate(words[1:], start=1):
        key = fold_text(word).upper()
        # Folding may change the length ("ß" to "SS"), which styling cannot follow.
        if len(key) != len(word) or len(key) < MIN_NAME_LETTERS or not key.isalpha():
            continue
        if key in lists.every:
            continue
        common = {
            variant
            for variant in _swaps(key, "M", "RN")
            if lists.surname_ranks.get(variant, COMMON_SURNAME_RANK + 1)
            <= COMMON_SURNAME_RANK
        }
        if len(common) == 1:
            words[index] = styled_like(common.pop(), word)
            log.debug("surname repaired from a print confusion")
    return " ".join(words)


def _swaps(key: str, wrong: str, right: str) -> list[str]:
    """Return every copy of ``key`` with one occurrence of ``wrong`` made ``right``."""
    variants = []
    start = key.find(wrong)
    while start >= 0:
        variants.append(key[:start] + right + key[start + len(wrong) :])
        start = key.find(wrong, start + 1)
    return variants


def styled_like(name: str, reading: str) -> str:
    """Spell a capitalized list name the way ``reading`` is written.

    Letters that agree with the reading (once folded) are copied from it,
    accents and case included. The others follow the reading's case: all
    capitals, or a capital first letter and lowercase after it.
    """
    upper = reading.isupper()
    folded = fold_text(reading).upper()
    out = [char if upper else char.lower() for char in name]
    if not upper and out:
        out[0] = out[0].upper()
    matcher = SequenceMatcher(a=folded, b=name, autojunk=False)
    for tag, a_start, a_end, b_start, _b_end in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(a_end - a_start):
                out[b_start + offset] = reading[a_start + offset]
    return "".join(out)
