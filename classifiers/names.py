"""Clean and judge person names read from forms and letters.

A name on these documents is two to five words of letters, with accents,
hyphens (García-López), apostrophes (O'Neil), particles (de la, van, y)
and initials (J.). Anything with digits, or a run of OCR debris, is not a
name. Titles (Mr., Dra.) are dropped; physicians' credentials (MD, DO)
are split off so that the name compares equal across documents.
"""

from __future__ import annotations

import re
import unicodedata

from classifiers.dates import fold_text

TITLES = frozenset("mr mrs ms miss mx dr dra doctor sr sra srta don dona prof".split())
"""Courtesy titles, folded and without the final period."""

CREDENTIALS = frozenset(
    "md do np pa pa-c phd rn dds dmd mph facr facp facs facc faan mba "
    "ms msn dnp aprn fnp-c fnp rpa esq jd".split()
)
"""Degrees and credentials that follow a name, folded, without periods."""

PARTICLES = frozenset("de del la las los y van von der da di du le st".split())
"""Lowercase words that belong inside a surname."""

_TOKEN = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?$")
_INITIAL = re.compile(r"^[^\W\d_]\.?$")
_LABEL_DEBRIS = re.compile(r"^[\s:;,._\-|]+|[\s:;,._\-|]+$")
MAX_NAME_WORDS = 6


def strip_title(words: list[str]) -> list[str]:
    """Drop a leading courtesy title such as "Mr." or "Dra."."""
    while words and _fold_word(words[0]) in TITLES:
        words = words[1:]
    return words


def split_credentials(text: str) -> tuple[str, list[str]]:
    """Split "Ana Ruiz, MD, FACR" into ("Ana Ruiz", ["MD", "FACR"])."""
    parts = [part.strip() for part in re.split(r",|\s+", text) if part.strip()]
    credentials: list[str] = []
    # In a name written all in capitals, "GARCIA, ANA" must keep "ANA".
    loose = "," in text and not text.isupper()
    while len(parts) > 1 and _is_credential(parts[-1], after_comma=loose):
        credentials.insert(0, parts.pop())
    name = text
    if credentials:
        # Cut the text just before the first credential, keeping its spacing.
        cut = _find_credentials_start(text, len(credentials))
        name = text[:cut].rstrip(" ,")
    return name, credentials


def _is_credential(word: str, after_comma: bool) -> bool:
    """Return True for "MD", "M.D." and, after a comma, any short all-caps title.

    Credentials are too many to list ("FACG", "FAAFP", ...); after the
    comma that ends a name, a run of two to six capitals is one.
    """
    if _fold_word(word) in CREDENTIALS:
        return True
    letters = word.replace(".", "").replace("-", "")
    return (
        after_comma
        and letters.isalpha()
        and letters.isupper()
        and 2 <= len(letters) <= 6
    )


_INITIAL_WITHOUT_SPACE = re.compile(r"\b([A-Z])\.(?=[A-ZÀ-ÖØ-Þ][^\W\d_])")
"""An initial run into the next word ("B.LI"), as handwriting is often read."""


def clean_name(text: str) -> str | None:
    """Return ``text`` as a person's name, or None when it is not one.

    Label debris (colons, underscores of the fill line), a courtesy title
    and trailing credentials are removed; words are joined by one space.
    Capitalization and a "Last, First" comma are kept as read.
    """
    text = _LABEL_DEBRIS.sub("", text.replace("_", " "))
    text = _INITIAL_WITHOUT_SPACE.sub(r"\1. ", text)
    text, _ = split_credentials(text)
    words = strip_title(text.split())
    if not words or len(words) > MAX_NAME_WORDS:
        return None
    if not all(_TOKEN.match(word.rstrip(",")) for word in words):
        return None
    if sum(word.endswith(",") for word in words) > 1:
        return None
    letters = sum(c.isalpha() for word in words for c in word)
    if letters < 3 or not any(len(w.strip(".,")) >= 2 for w in words):
        return None
    # Two small-letter words that are not particles, among capitalized ones,
    # make a phrase of print ("Recoger en el Centro"), not a name.
    # NOTE: names with particles missing from PARTICLES ("dos", "e", "op")
    # are rejected here too ("María da Graça dos Santos e Silva").
    lower = [w for w in words if w[0].islower() and _fold_word(w) not in PARTICLES]
    if len(lower) >= 2 and len(lower) < len(words):
        return None
    # Lowercase particles alone ("de la") are the debris of a label.
    if all(w[0].islower() and _fold_word(w) in PARTICLES for w in words):
        return None
    return " ".join(words).rstrip(",")


NAME_LOOKALIKES = {"0": "o", "1": "l", "/": "l", "|": "l", "5": "s", "7": "z", "8": "b"}
"""Digits and strokes OCR reads for the letters of handwritten names."""


def repair_ocr_name(text: str) -> str:
    """Fix OCR's usual slips in a name: symbols for letters, "l" for "I".

    A name has no digits or slashes of its own, so one touching a letter
    inside a word is read as the letter it resembles ("Lov/and" to
    "Lovland", "Fernande7" to "Fernandez"). A name word never starts with
    a lowercase "l" followed by more lowercase letters, except the
    particles "la", "las", "le" and "los", so that "l" was a capital "I"
    ("lan" to "Ian"). An initial between two name words ends with a
    period, so a comma there was a misread period ("Susan A, Nguyen").
    """
    words = [_repair_symbols(word) for word in text.split(" ")]
    for index in range(1, len(words) - 1):
        initial = words[index]
        is_initial = len(initial) == 2 and initial[0].isupper()
        if is_initial and initial[1] == "," and not words[index - 1].endswith(","):
            words[index] = initial[0] + "."
    fixed = [
        "I" + word[1:]
        if len(word) > 1
        and word[0] == "l"
        and word[1].islower()
        and word.lower() not in ("la", "las", "le", "los")
        else word
        for word in words
    ]
    return " ".join(fixed)


def name_plausibility(name: str) -> float:
    """Score 0-1 how much ``name`` looks like a real person's name.

    Two to four capitalized words score highest. One word, words in all
    lowercase, or runs of consonants typical of misread handwriting lower
    the score.
    """
    words = [w for w in name.replace(",", " ").split() if w]
    if not words:
        return 0.0
    score = 1.0
    if len(words) == 1:
        score -= 0.4
    if len(words) > 4:
        score -= 0.15
    for word in words:
        if _fold_word(word) in PARTICLES:
            continue
        if not word[0].isupper():
            score -= 0.2
        if _looks_garbled(word):
            score -= 0.3
    return max(0.0, min(1.0, score))


def _repair_symbols(word: str) -> str:
    """Replace the look-alike symbols that touch a letter in ``word``."""
    if not any(char in NAME_LOOKALIKES for char in word):
        return word
    letters = [char for char in word if char.isalpha()]
    if not letters:
        return word
    upper = len(letters) >= 2 and all(char.isupper() for char in letters)
    repaired = []
    for index, char in enumerate(word):
        before = word[index - 1] if index > 0 else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        if char in NAME_LOOKALIKES and (before.isalpha() or after.isalpha()):
            letter = NAME_LOOKALIKES[char]
            char = letter.upper() if upper else letter
        repaired.append(char)
    return "".join(repaired)


def normalize_name(name: str) -> str:
    """Return a comparison key: folded, punctuation dropped, "Last, First" swapped."""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    folded = fold_text(name)
    folded = re.sub(r"[^\w\s\-]", "", folded).replace("-", " ")
    return " ".join(folded.split())


def _fold_word(word: str) -> str:
    text = unicodedata.normalize("NFKD", word)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.lower().replace(".", "").strip(",")


def _find_credentials_start(text: str, count: int) -> int:
    matches = list(re.finditer(r"[^\s,]+", text))
    return matches[-count].start()


def _looks_garbled(word: str) -> bool:
    letters = _fold_word(word).replace("-", "").replace("'", "")
    if len(letters) <= 2:
        return False
    vowels = sum(c in "aeiouy" for c in letters)
    if vowels == 0:
        return True
    return bool(re.search(r"[^aeiouy]{5,}", letters))
