"""Names in the order Supabase's generator puts them: ``Intl.Collator("en")``.

That collator is the Unicode root collation. It compares whole strings by
their letters first (case and accents ignored), then by accents, then by
case, lower before upper; punctuation is not ignored and sorts before digits,
which sort before letters. So ``user_id`` comes before ``userid`` and
``Weird Name`` before ``x``, where code points would say otherwise.

``english_key`` implements it for ASCII exactly (a test holds it against
Node's collator) and, beyond ASCII, by the base letter of each character
with accents at the second level, which is the collator's behaviour for
Latin letters.
"""

from __future__ import annotations

import unicodedata

# The root collation's order of printable ASCII that is not a letter or digit.
_PUNCTUATION = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_DIGITS = "0123456789"
_PRIMARY = {c: i for i, c in enumerate(_PUNCTUATION + _DIGITS)}
_LETTERS = len(_PRIMARY)  # letters come after every symbol and digit
_BEYOND = 0x100  # characters outside Latin letters, after them, by code point


def _weights(char: str) -> tuple[int, int, int]:
    """(primary, secondary, tertiary) weights of one character."""
    if char in _PRIMARY:
        return _PRIMARY[char], 0, 0
    base = unicodedata.normalize("NFD", char)
    letter = base[0]
    accents = sum(ord(c) for c in base[1:])
    if "a" <= letter.lower() <= "z":
        return _LETTERS + ord(letter.lower()) - ord("a"), accents, int(letter.isupper())
    return min(_BEYOND + ord(char), 0x10FFFF), 0, 0


def english_key(name: str) -> tuple[str, str, str]:
    """A sort key that orders names as ``Intl.Collator("en").compare`` does.

    The three levels as strings whose code points are the weights, so
    comparing keys compares primary weights, then accents, then case.
    """
    if name.isascii():  # the common case, by table lookup
        return name.translate(_ASCII_PRIMARY), "\0" * len(name), name.translate(_ASCII_CASE)
    weights = [_weights(c) for c in name]
    primary, accents, case = ("".join(chr(w[level]) for w in weights) for level in range(3))
    return primary, accents, case


_ASCII_PRIMARY = {i: chr(_weights(chr(i))[0]) for i in range(128)}
_ASCII_CASE = {i: chr(_weights(chr(i))[2]) for i in range(128)}
