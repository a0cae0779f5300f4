"""Tell English pages from Spanish ones by counting stopwords.

Stopwords survive OCR with the wrong language model: tesseract's English
model drops the accents of Spanish words but still reads "de", "la" and
"que". So the first, English, OCR pass is enough to decide.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

ENGLISH = "en"
SPANISH = "es"

# Words common in both languages ("a", "no", "me", "he") are left out.
# Spanish entries are written without accents, because the text is compared
# after its accents are removed.
# fmt: off
_ENGLISH_STOPWORDS = frozenset({
    "the", "and", "of", "to", "in", "is", "for", "that", "with", "on", "this",
    "be", "are", "by", "or", "from", "at", "as", "it", "an", "your", "you",
    "was", "were", "will", "not", "have", "has", "had", "been", "these",
    "those", "which", "who", "whom", "any", "all", "our", "their", "his",
    "her", "its", "may", "must", "shall", "please",
})
_SPANISH_STOPWORDS = frozenset({
    "de", "la", "que", "el", "en", "y", "los", "del", "se", "las", "por", "un",
    "para", "con", "una", "su", "al", "lo", "como", "mas", "pero", "sus", "le",
    "ya", "o", "este", "esta", "estos", "estas", "entre", "cuando", "muy",
    "sin", "sobre", "tambien", "hasta", "desde", "donde", "durante", "mi",
    "mis", "nuestro", "usted", "ustedes",
})
# French shares "de", "la", "que", "en" and more with Spanish, and faxes in
# French do arrive (the ITU-T test chart 4 is one). Counting French
# stopwords keeps such pages from being called Spanish.
_FRENCH_STOPWORDS = frozenset({
    "de", "la", "que", "en", "se", "un", "une", "le", "les", "des", "du", "et",
    "est", "pour", "dans", "sur", "pas", "qui", "au", "aux", "ce", "cette",
    "sont", "avec", "par", "nous", "vous", "il", "elle", "ou", "entre",
})
# fmt: on

MIN_SPANISH_STOPWORDS = 3
"""A page needs this many Spanish stopwords, and more of them than English
or French ones, to be called Spanish. A Spanish name on an English form is
not enough."""


def detect_language(words: Iterable[str]) -> str:
    """Return ``"es"`` for a page of mostly Spanish text, else ``"en"``.

    Args:
        words: The page's words in any order, as OCR or the text layer gave
            them.

    Returns:
        ``"es"`` when the page has at least ``MIN_SPANISH_STOPWORDS``
        Spanish stopwords and more of them than English or French ones.
        ``"en"`` for every other page, French pages and pages without words
        included.
    """
    english = 0
    spanish = 0
    french = 0
    for word in words:
        key = _fold(word)
        english += key in _ENGLISH_STOPWORDS
        spanish += key in _SPANISH_STOPWORDS
        french += key in _FRENCH_STOPWORDS
    if spanish >= MIN_SPANISH_STOPWORDS and spanish > max(english, french):
        return SPANISH
    return ENGLISH


def _fold(word: str) -> str:
    """Lower-case a word, strip its edge punctuation and its accents."""
    decomposed = unicodedata.normalize("NFKD", word.strip(".,;:!?()[]\"'¿¡").lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
