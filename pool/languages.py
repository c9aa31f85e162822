"""The language catalogue: which languages a pool can ask for, and their names.

Codes are BCP 47 primary language subtags (ISO 639-1 where one exists, else ISO 639-3). Names come
from Babel's locale data (CLDR); the few languages CLDR does not name get names of our own. No Flask
here, so services, forms and the matching code can use it alike.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import NamedTuple

from babel import Locale, UnknownLocaleError

DEFAULT_LOCALE = "de"

# Every language the pool can be asked for, as a plain tuple of codes (order is not meaningful;
# ``languages(locale)`` sorts by name).
LANGUAGES: tuple[str, ...] = (
    # Near and Middle East, Central Asia
    "ar",
    "fa",
    "prs",
    "ps",
    "ckb",
    "kmr",
    "ku",
    "zza",
    "tr",
    "az",
    "ka",
    "hy",
    "ur",
    "hi",
    "pa",
    "bn",
    "ta",
    # Horn of Africa, West and Central Africa
    "ti",
    "am",
    "so",
    "om",
    "sw",
    "ha",
    "ig",
    "yo",
    "ln",
    "wo",
    # Eastern and South-Eastern Europe
    "uk",
    "ru",
    "ro",
    "bg",
    "mk",
    "sq",
    "sr",
    "hr",
    "bs",
    "pl",
    "cs",
    "sk",
    "hu",
    "el",
    "rom",
    # Western Europe and East Asia
    "de",
    "fr",
    "en",
    "es",
    "it",
    "pt",
    "vi",
    "zh",
    # Sign languages
    "dgs",
)

# Languages CLDR has no name for.
OWN_NAMES: dict[str, dict[str, str]] = {
    "prs": {"de": "Dari", "en": "Dari"},
    "kmr": {"de": "Kurmandschi", "en": "Kurmanji (Northern Kurdish)"},
    "dgs": {"de": "Deutsche Gebärdensprache", "en": "German Sign Language"},
}

# Sign languages: intake rules treat them differently (e.g. always in person or by video).
SIGN_LANGUAGES: frozenset[str] = frozenset({"dgs"})

# Groups of closely related languages whose speakers can often (not always) help each other;
# matching may propose a mediator of a related language, marked as such. ``ku`` is the macro
# language for Kurdish when the variety is not known.
RELATED_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"fa", "prs"}),
    frozenset({"ku", "kmr", "ckb"}),
)

_KNOWN = frozenset(LANGUAGES)


class LanguageEntry(NamedTuple):
    code: str
    name: str
    sign_language: bool


def is_known(code: object) -> bool:
    """True if ``code`` is a language of the catalogue (exact, lower-case code)."""
    return isinstance(code, str) and code in _KNOWN


def is_sign_language(code: str) -> bool:
    return code in SIGN_LANGUAGES


def related_languages(code: str) -> frozenset[str]:
    """The other languages of ``code``'s related-language groups (empty if there are none)."""
    related: set[str] = set()
    for group in RELATED_GROUPS:
        if code in group:
            related |= group
    related.discard(code)
    return frozenset(related)


@cache
def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


def language_name(code: str, locale: str | Locale = DEFAULT_LOCALE) -> str:
    """The name of language ``code`` in ``locale``; an unknown code is returned unchanged."""
    babel_locale = locale if isinstance(locale, Locale) else _babel_locale(str(locale))
    own = OWN_NAMES.get(code)
    if own is not None:
        return own.get(babel_locale.language) or own["en"]
    name = babel_locale.languages.get(code)
    if name:
        return name
    if code in _KNOWN:  # a catalogue language the locale's data lacks: fall back to English
        return Locale.parse("en").languages.get(code, code)
    return code


def sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order as in a German dictionary (DIN 5007-1): ``Ä`` sorts as ``A``.

    Diacritics are dropped and case is folded for the primary key; the name itself breaks ties,
    so the order is total and stable.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return base.casefold(), name


@cache
def _sorted_languages(locale: str) -> tuple[LanguageEntry, ...]:
    entries = (
        LanguageEntry(code, language_name(code, locale), code in SIGN_LANGUAGES)
        for code in LANGUAGES
    )
    return tuple(sorted(entries, key=lambda entry: sort_key(entry.name)))


def languages(locale: str = DEFAULT_LOCALE) -> list[LanguageEntry]:
    """Every catalogue language with its name in ``locale``, sorted by that name."""
    return list(_sorted_languages(_babel_locale(str(locale)).language))
