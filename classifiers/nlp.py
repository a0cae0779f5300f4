"""The one wrapper around spaCy: phrase finding on OCR text.

No trained spaCy model can be installed here, so every pipeline is a blank
``spacy.blank("en")`` or ``spacy.blank("es")`` tokenizer with rule-based
``Matcher`` patterns. Text is folded first (lowercase, accents removed,
line breaks as spaces), so "AUTORIZACIÓN" and "autorizacion" match the
same pattern. Long words match with one or two character edits, which
absorbs most OCR misreadings of printed text. Short words must match
exactly, because one edit turns "fax" into "for".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import Matcher

from classifiers.dates import fold_text

log = logging.getLogger(__name__)

LANGUAGES = ("en", "es")
FUZZY_ONE_EDIT_LENGTH = 6
"""Words of at least this many letters match with one edit."""
FUZZY_TWO_EDITS_LENGTH = 10
"""Words of at least this many letters match with two edits."""
SHORT_FUZZY_LENGTH = 4
"""With ``short_fuzzy``, words of this many letters and more match with one
edit when they are part of a phrase of several words."""
_BRACKETS = str.maketrans("{[]}", "(())")
"""OCR reads the parentheses of "date(s)" as braces or brackets."""


@dataclass(frozen=True)
class PhraseMatch:
    """A phrase found in text, with its label and character offsets."""

    label: str
    start: int
    end: int


@lru_cache(maxsize=4)
def blank_pipeline(language: str) -> Language:
    """Return the shared blank spaCy pipeline for "en" or "es"."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return spacy.blank(language)


class PhraseFinder:
    """Find labelled phrases in text, tolerant of case, accents and OCR slips.

    Args:
        phrases: For each label, the phrases that signal it.
        language: Tokenizer language, "en" or "es".
        fuzzy: Allow edits in long words; set False for exact matching.
        short_fuzzy: Also allow one edit in words of four or five letters
            inside phrases of several words ("Exar date" for "Exam date").
            Meant for printed form labels, where the rest of the phrase
            keeps a match specific. Free-text phrases such as "law firm"
            must not use it, because "firm" would match "form".
    """

    def __init__(
        self,
        phrases: dict[str, list[str]],
        language: str = "en",
        fuzzy: bool = True,
        short_fuzzy: bool = False,
    ) -> None:
        self.nlp = blank_pipeline(language)
        self.matcher = Matcher(self.nlp.vocab)
        self.short_fuzzy = short_fuzzy and fuzzy
        for label, variants in phrases.items():
            patterns = []
            for variant in variants:
                patterns.extend(self._patterns(variant, fuzzy))
            self.matcher.add(label, [p for p in patterns if p])

    def find(self, text: str) -> list[PhraseMatch]:
        """Return every match in ``text``, longest first where two overlap."""
        doc = self.nlp.make_doc(_prepare(text))
        found = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            label = self.nlp.vocab.strings[match_id]
            found.append(PhraseMatch(label, span.start_char, span.end_char))
        return _drop_overlaps(found)

    def count(self, text: str) -> dict[str, int]:
        """Return how many times each label's phrases occur in ``text``."""
        counts: dict[str, int] = {}
        for match in self.find(text):
            counts[match.label] = counts.get(match.label, 0) + 1
        return counts

    def _patterns(self, phrase: str, fuzzy: bool) -> list[list[dict[str, object]]]:
        """Return the token pattern of a phrase, plus its run-together form.

        OCR often drops the space between two printed words ("Patientname"),
        so a phrase of several words also matches as one token.
        """
        tokens = [t.text for t in self.nlp.make_doc(_prepare(phrase)) if not t.is_space]
        shortest = SHORT_FUZZY_LENGTH if self.short_fuzzy and len(tokens) > 1 else 0
        patterns = [[{"LOWER": _token_rule(text, fuzzy, shortest)} for text in tokens]]
        if len(tokens) > 1 and all(text.isalpha() for text in tokens):
            joined = "".join(tokens)
            patterns.append([{"LOWER": _token_rule(joined, fuzzy)}])
        return patterns


def _token_rule(text: str, fuzzy: bool, shortest_fuzzy: int = 0) -> object:
    """Return the matcher rule for one word of a phrase.

    Args:
        text: The folded word.
        fuzzy: Whether edits are allowed at all.
        shortest_fuzzy: If not 0, words of this many letters and more allow
            one edit, below ``FUZZY_ONE_EDIT_LENGTH`` too.
    """
    if not fuzzy or not text.isalpha():
        return text
    if len(text) >= FUZZY_TWO_EDITS_LENGTH:
        return {"FUZZY2": text}
    one_edit = FUZZY_ONE_EDIT_LENGTH
    if shortest_fuzzy:
        one_edit = min(one_edit, shortest_fuzzy)
    if len(text) >= one_edit:
        return {"FUZZY1": text}
    return text


def _prepare(text: str) -> str:
    """Fold case, accents and brackets and turn line breaks into spaces, keeping offsets."""
    folded = fold_text(text).translate(_BRACKETS)
    return folded.replace("\n", " ").replace("\f", " ")


def _drop_overlaps(matches: list[PhraseMatch]) -> list[PhraseMatch]:
    ordered = sorted(matches, key=lambda m: (m.start, m.start - m.end))
    longest: list[PhraseMatch] = []
    for match in ordered:
        if longest and match.start < longest[-1].end:
            if match.end - match.start > longest[-1].end - longest[-1].start:
                longest[-1] = match
            continue
        longest.append(match)
    return longest
