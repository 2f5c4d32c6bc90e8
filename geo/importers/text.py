"""Bytes → text for every table reader: encodings, control characters, mojibake, delimiters.

**Encodings** (:func:`decode_any`): UTF-8 with or without BOM, UTF-16 with a BOM or by its NUL
pattern, else Windows-1251 for Cyrillic-looking bytes or Windows-1252. Measured against
``charset-normalizer`` 3.4 (tests/test_importers_text.py keeps the samples): on four short
tables it named cp1250 for three cp1252 files, and even restricted to cp1251/cp1252 it read an
Italian cp1252 line (``perché è successo``) as cp1251, i.e. as garbage. Our files are UTF-8 or
one of those two code pages, and the rule above read all four right, so it stays.

**NUL bytes**: a file whose first 64 KB are more than :data:`BINARY_NUL_SHARE` NUL (and not
UTF-16) is binary and refused whole; a few NULs are kept in the text so that the reader can
reject just the rows that hold them (issue 14: one NUL in one cell used to refuse the file).

**Mojibake** (:func:`repair_mojibake`): UTF-8 read as cp1252 (``ÐšÐ¸Ñ—Ð²`` → ``Київ``),
repaired only when the round trip proves it. Measured against ``ftfy.fix_encoding`` 6.3 on the
shared CIR and Air Force cells: neither changed any of 178,657 clean cells; on 20,000 cells
re-encoded as cp1252 (15 of them mangled, some with bytes cp1252 cannot hold) ours restored 10
exactly and ftfy 8, and ftfy's partial repairs leave U+FFFD inside words
(``Св�то-Георгіїв�ька``) where ours leaves the cell as it was, which the report can count.
So the exact repair stays; ``ftfy.fix_text`` would also unescape HTML entities and straighten
quotes, which changes data.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata

from geo.importers.errors import InputError

BINARY_NUL_SHARE = 0.001   # compressed binaries (PNG, ZIP) run at ~0.4 %

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A UTF-8 lead byte read as Windows-1252/Latin-1 (Â…ï) followed by a continuation byte read
# the same way (0x80–0xBF: Latin-1 controls/symbols or the cp1252 letters in that range).
_CONTINUATION = ("\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                 "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
                 "\u20ac\u2122")
_MOJIBAKE = re.compile(f"[\u00c2-\u00ef][{_CONTINUATION}]")
_SUSPECT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\u00c2-\u00ef][{_CONTINUATION}]")


def _cp1252_bytes(text: str) -> bytes | None:
    """The bytes a UTF-8→cp1252 misreading came from (cp1252, else Latin-1 for its 5 holes)."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            out.append(ord(ch))
    return bytes(out)


def _as_cp1252(data: bytes) -> str:
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


def repair_mojibake(text: str) -> str:
    """UTF-8 that was read as Windows-1252/Latin-1 (``ÐšÐ¸Ñ—Ð²``) → the real text (``Київ``).

    Only when certain: the whole cell must re-encode to bytes that are valid UTF-8, the result
    must map back to exactly the input (round trip) and hold no mojibake pairs any more.
    Anything else is returned unchanged.

    >>> repair_mojibake("ÐšÐ¸Ñ—Ð²"), repair_mojibake("Café"), repair_mojibake("Ã©tÃ© 2024")
    ('Київ', 'Café', 'été 2024')
    """
    if not _MOJIBAKE.search(text):
        return text
    raw = _cp1252_bytes(text)
    if raw is None:
        return text
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return text
    if _as_cp1252(fixed.encode("utf-8")) != text or _MOJIBAKE.search(fixed):
        return text
    return fixed


def clean_cell(text: str) -> tuple[str, bool]:
    """(cell without control characters and with mojibake repaired, whether it was repaired).

    Everything else is kept exactly: HTML and template syntax are text, never stripped.
    """
    if not _SUSPECT.search(text):
        return text, False
    text = _CONTROL.sub("", text)
    fixed = repair_mojibake(text)
    return fixed, fixed != text



# cp1251 letters: А–я (0xC0–0xFF) plus Ё ё Є є Ї ї І і Ґ ґ.
_CP1251_LETTERS = re.compile(rb"[\xc0-\xff\xa8\xb8\xaa\xba\xaf\xbf\xb2\xb3\xa5\xb4]{3,}")
_HIGH = re.compile(rb"[\x80-\xff]")


def _looks_cyrillic(data: bytes) -> bool:
    """Cyrillic in cp1251 is words of high bytes; Western cp1252 text has isolated ones."""
    high = len(_HIGH.findall(data[:200_000]))
    runs = sum(len(m) for m in _CP1251_LETTERS.findall(data[:200_000]))
    return high > 0 and runs / high >= 0.5


def decode_any(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding label): UTF-8 (±BOM), UTF-16 (BOM or NUL pattern), else cp1251/cp1252.

    Binary data (NUL bytes that are not UTF-16) is an :class:`InputError`.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            data = data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16 with BOM"
        except UnicodeDecodeError:
            raise InputError(name, None, None, "declares UTF-16 (BOM) but is not valid UTF-16"
                             ) from None
    head = data[:4096]
    if head and head.count(0) >= len(head) // 4:
        codec = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(codec), f"{codec.upper()} without BOM"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data and data[:65536].count(0) > BINARY_NUL_SHARE * len(data[:65536]):
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(name, line, None, "binary data (NUL bytes), not a text table")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _looks_cyrillic(data):
        return data.decode("cp1251", errors="replace"), "Windows-1251 (not UTF-8; guessed)"
    try:
        return data.decode("cp1252"), "Windows-1252 (not UTF-8; guessed)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1 (not UTF-8; guessed)"


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``,`` ``;`` tab ``|`` that gives the widest consistent table."""
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = []
            for cells in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if any(c.strip() for c in cells):
                    rows.append(cells)
                if len(rows) >= 60:
                    break
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(len(r) == width for r in body) / len(body)
        score = consistent * 1000 + min(width, 999)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def header_key(text: str) -> str:
    """A header as a comparison key: NFKC, casefold, runs of non-alphanumerics → ``_``.

    >>> header_key(" Town / City "), header_key("EVENT_ID_CNTY"), header_key("lat.")
    ('town_city', 'event_id_cnty', 'lat')
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    return re.sub(r"[\W_]+", "_", folded).strip("_")


def suspect(text: str) -> bool:
    """Whether a cell may need :func:`clean_cell` (control characters or mojibake pairs)."""
    return bool(_SUSPECT.search(text))
