"""geo.importers.text: bytes → text the same way for every reader.

The samples are the ones charset-normalizer was measured on (see the module docstring)."""

from __future__ import annotations

import pytest

from geo.importers.errors import InputError
from geo.importers.text import decode_any, header_key, repair_mojibake, sniff_delimiter

SAMPLES = {
    "cp1251": "дата,місце,опис\n2024-01-02,Київ,Удар по енергетичній інфраструктурі\n",
    "cp1252": "date,place,notes\n2024-01-02,Zaporizhzhia,Explosion near the café; résumé\n",
    "cp1252-it": "date,luogo,titolo\n26/10/25,Kharkiv,Attacco con droni – perché è successo\n",
    "cp1252-de": "Datum,Ort,Beschreibung\n2024-01-02,Charkiw,Angriff auf Wohnhäuser, Straße\n",
}


@pytest.mark.parametrize("label", SAMPLES)
def test_legacy_code_pages_are_read_right(label):
    text = SAMPLES[label]
    codec = "cp1251" if label == "cp1251" else "cp1252"
    decoded, encoding = decode_any(text.encode(codec), "f.csv")
    assert decoded == text and encoding.startswith(
        "Windows-1251" if codec == "cp1251" else "Windows-1252")


@pytest.mark.parametrize(("data", "encoding"), [
    ("дата\n".encode("utf-8-sig"), "UTF-8 with BOM"),
    ("дата\n".encode("utf-16"), "UTF-16 with BOM"),
    ("date,місце\n2024-01-02,Kyiv\n".encode("utf-16-le"), "UTF-16-LE without BOM"),
])
def test_unicode_encodings(data, encoding):
    text, found = decode_any(data, "f.csv")
    assert found == encoding and text.lstrip("\ufeff")[:4] in ("дата", "date")


def test_binary_is_refused_but_a_stray_nul_is_kept_for_the_row_to_be_rejected():
    with pytest.raises(InputError, match="binary data"):
        decode_any(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "x.csv")
    text, _ = decode_any(b"a,b\n" + b"1,2\n" * 500 + b"3,\x004\n", "x.csv")
    assert "\x00" in text


def test_mojibake_and_headers_and_delimiters():
    assert repair_mojibake("ÐšÐ¸Ñ—Ð²") == "Київ" and repair_mojibake("Café") == "Café"
    assert header_key(" Town / City ") == "town_city"
    assert sniff_delimiter("a;b;c\n1;2,5;3\n") == ";"
