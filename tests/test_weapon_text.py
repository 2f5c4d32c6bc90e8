"""The weapon text matcher on real-looking strings in each language, and what must not match."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.weapon_text import find_weapons, fold_text
from tests.conftest import CIR


def _found(text: str) -> list[tuple[str, str]]:
    """(model or first class, span) per mention."""
    return [(m.model or m.classes[0], m.span) for m in find_weapons(text)]


@pytest.mark.parametrize(("text", "model", "span"), [
    # Ukrainian and Russian, with case endings
    ("Сили ППО збили 16 шахедів над Одещиною", "Shahed-136/131", "шахедів"),
    ("Росія атакувала ракетами Х-101 та Калібр", "Kh-101", "Х-101"),
    ("Ворог бив Калібрами з Чорного моря", "Kalibr", "Калібрами"),
    ("два Іскандери влучили у Харків", "Iskander-M", "Іскандери"),
    ("Герані атакували Київ уночі", "Shahed-136/131", "Герані"),
    ("сбиты ракеты Х-59 над Днепром", "Kh-59", "Х-59"),
    ("ОТРК Точка-У вдарив по місту", "Tochka-U", "Точка-У"),
    ("обстріл з РСЗВ «Град» по селу", "Grad", "Град"),
    # English
    ("Kh-101s launched from Tu-95MS hit Kyiv", "Kh-101", "Kh-101s"),
    ("Kh101 debris found in a field", "Kh-101", "Kh101"),
    ("S-300 missiles hit Kharkiv overnight", "S-300", "S-300 missiles"),
    ("Remains of a KN-23 found in Kharkiv", "KN-23", "KN-23"),
    ("Iskander-M/KN-23 launched from Belgorod", "Iskander-M/KN-23", "Iskander-M/KN-23"),
    # a generic word right after the model is part of the mention
    ("Reported Iskander ballistic missile strike on a mall", "Iskander-M",
     "Iskander ballistic missile"),
    # Italian, Polish, German
    ("Attacco con missili Iskander su Kharkiv", "Iskander-M", "Iskander"),
    ("Rosja wystrzeliła drony Shahed na Odessę", "Shahed-136/131", "Shahed"),
    ("Russland griff mit Kalibr-Marschflugkörpern an", "Kalibr", "Kalibr"),
])
def test_named_models_in_each_language(text, model, span):
    assert (model, span) in _found(text)


@pytest.mark.parametrize(("text", "cls", "span"), [
    ("Russian missile strike on Kyiv", "unspecified missile", "missile"),
    ("drone attack on Odesa port", "unspecified drone", "drone"),
    ("Civilian casualty after shelling of bus stop in Mykolaiv", "unspecified artillery",
     "shelling"),
    ("Column of civilian vehicles shelled near Zaporizhzhia", "unspecified artillery",
     "shelled"),
    ("Нічний обстріл Херсона", "unspecified artillery", "обстріл"),
    ("ракетний удар по Дніпру", "unspecified missile", "ракетний удар"),
    ("крилаті ракети летять на захід", "cruise missile", "крилаті ракети"),
    ("Atak dron na Lwów", "unspecified drone", "dron"),
    ("Damage following airstrike on the village", "unspecified bomb", "airstrike"),
    ("авіабомби впали на село", "unspecified bomb", "авіабомби"),
    ("Cluster munitions used on a market", "rocket artillery", "Cluster munitions"),
    ("Beschuss der Stadt in der Nacht", "unspecified artillery", "Beschuss"),
])
def test_generic_words_give_a_class_not_a_model(text, cls, span):
    mentions = find_weapons(text)
    assert [(m.classes[0], m.span, m.model) for m in mentions] == [(cls, span, "")]


def test_english_rocket_is_a_missile_or_an_mlrs_rocket():
    (mention,) = find_weapons("A rocket fell near commercial buildings")
    assert set(mention.families) == {"missiles", "artillery"}


@pytest.mark.parametrize("text", [
    "a radius of S-300 km around the city",     # a distance, not a missile
    "Ukraine's 300 km long front",               # 's + number is not S-300
    "вулиця Шахедів, 12",                         # a street
    "Drone footage shows the destroyed bridge",  # the drone only filmed
    "відео з дрона показує наслідки",            # "video from a drone"
    "People hid in a bomb shelter",
    "a study published in The Lancet",
    "град пошкодив дахи у селі",                  # hail
    "точка удару була біля школи",                # "point of impact"
    "ураган зірвав дахи",                          # a hurricane
    "destroyed a Ukrainian S-300 system",        # the struck object, not the weapon
    "Russian mortar positions hit",              # the target
    "Orlando and Kubanskaya street",             # no open suffixes
])
def test_not_weapons(text):
    assert find_weapons(text) == []


def test_counts_where_stated():
    mentions = find_weapons("Росія випустила 40 ракет і 16 шахедів; 3 Kalibr cruise missiles")
    assert [(m.span, m.count) for m in mentions] == [
        ("ракет", 40), ("шахедів", 16), ("Kalibr cruise missiles", 3)]
    # a number inside a model name is not a count
    assert [m.count for m in find_weapons("Kh-101/Kh-555 and Kalibr")] == [None, None]


def test_spans_are_the_text_as_written():
    text = "Удар ракетами Х-101 по ТЕС"
    for mention in find_weapons(text):
        assert text[mention.start:mention.end] == mention.span
    assert len(fold_text(text)) == len(text)


def test_model_mentions_carry_catalogue_origins():
    (kn23,) = find_weapons("KN-23 fragments")
    (ambiguous,) = find_weapons("Iskander-M/KN-23")
    assert kn23.origins == ("PRK",) and not kn23.ambiguous
    assert set(ambiguous.origins) == {"RUS", "PRK"} and ambiguous.ambiguous


def test_real_cir_texts_that_name_weapons():
    """On the real CIR file: the weapons its text names are found, with sane classes."""
    frame = pd.read_csv(CIR, dtype=str, keep_default_na=False)
    text = frame["title"] + " " + frame["brief description"]
    named = text[text.str.contains(r"Iskander|Kalibr|Shahed|Kh-101|Tochka", case=False)]
    # Where the weapon is the object seen (a system on the move, a launcher, a wreck),
    # it is not what hit anything: those must not count as the event's weapon.
    objects = named.str.contains(r"systems?\b|launchers?\b|destroyed Tochka|Ukrainian Tochka",
                                 case=False)
    assert objects.sum() >= 4 and len(named) - objects.sum() >= 20
    assert all(not any(m.model for m in find_weapons(t)) for t in named[objects])
    hits = [find_weapons(t) for t in named[~objects]]
    assert all(any(m.model for m in h) for h in hits)
    families = {f for h in hits for m in h for f in m.families}
    assert "missiles" in families
