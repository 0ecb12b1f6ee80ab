"""Vietnamese text normalisation: NFC, one tone-mark placement, folding, tokens."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks (the five tones besides "ngang").
_TONES = {"\u0300": 2, "\u0301": 1, "\u0303": 4, "\u0309": 3, "\u0323": 5}
_TONE_MARK = {v: k for k, v in _TONES.items()}
_VOWELS = set("aăâeêioôơuưy")
_SHAPED = set("ăâêôơư")  # vowels whose own mark attracts the tone
_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"})
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_WORD = re.compile(r"[^\W_]+(?:[-/][^\W_]+)*", re.UNICODE)
_SYLLABLE = re.compile(r"[^\W\d_]+", re.UNICODE)


def nfc(text: str) -> str:
    """Return text in NFC with look-alike letters (Ð) replaced by Đ."""
    return unicodedata.normalize("NFC", text.translate(_LOOKALIKES))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Return lower-case text with every diacritic removed and đ→d."""
    decomposed = unicodedata.normalize("NFD", nfc(text).lower())
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return stripped.replace("đ", "d")


@lru_cache(maxsize=65536)
def has_diacritics(word: str) -> bool:
    """Tell whether a word carries any Vietnamese mark (including đ)."""
    return fold(word) != word.lower()


def _split_tone(syllable: str) -> tuple[str, int]:
    """Return the syllable without its tone mark (NFC) and the tone number."""
    tone = 0
    kept = []
    for ch in unicodedata.normalize("NFD", syllable):
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_position(base: str) -> int | None:
    """Return the index of the vowel that carries the tone (traditional style)."""
    low = base.lower()
    idx = [i for i, c in enumerate(low) if c in _VOWELS]
    if not idx:
        return None
    if low.startswith("qu") and len(idx) > 1 and idx[0] == 1:
        idx = idx[1:]
    elif low.startswith("gi") and len(idx) > 1 and idx[0] == 1:
        idx = idx[1:]
    shaped = [i for i in idx if low[i] in _SHAPED]
    if shaped:
        return shaped[-1]
    if len(idx) == 1:
        return idx[0]
    ends_open = idx[-1] == len(low) - 1
    if not ends_open:
        return idx[-1]
    if len(idx) >= 3:
        return idx[1]
    return idx[0]


@lru_cache(maxsize=65536)
def place_tone(syllable: str) -> str:
    """Rewrite one syllable with its tone mark on the traditional vowel (hoà→hòa)."""
    base, tone = _split_tone(syllable)
    if tone == 0:
        return syllable
    pos = _tone_position(base)
    if pos is None:
        return syllable
    marked = unicodedata.normalize("NFD", base[pos]) + _TONE_MARK[tone]
    return base[:pos] + unicodedata.normalize("NFC", marked) + base[pos + 1 :]


def normalize(text: str) -> str:
    """Return NFC text with one tone-mark placement and tỉ→tỷ."""
    text = _SYLLABLE.sub(lambda m: place_tone(m.group(0)), nfc(text))
    return re.sub(r"\b([Tt])ỉ\b", r"\1ỷ", text)


def plain(text: str) -> str:
    """Return text with superscript footnote markers removed."""
    return re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", "", text)


def superscript_numbers(text: str) -> list[int]:
    """Return the footnote numbers cited by superscripts in text."""
    return [int(m.translate(_SUPERSCRIPTS)) for m in re.findall(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", text)]


def words(text: str) -> list[str]:
    """Return the lower-case normalised words of text (codes like 35-KL/TW kept whole)."""
    return [w.lower() for w in _WORD.findall(normalize(plain(text)))]
