"""Weapon catalogue: every real Air Force model resolves; origins, ambiguity, aliases, inference."""

from __future__ import annotations

import csv
import re

import pytest

from geo.catalogue import CATALOGUE_PATH, Catalogue, fold, load_catalogue
from tests.conftest import AIRFORCE, CIR


def _airforce_models() -> list[str]:
    if not AIRFORCE.is_file():
        return []
    with open(AIRFORCE, encoding="utf-8", newline="") as handle:
        return sorted({row["model"] for row in csv.DictReader(handle)})


MODELS = _airforce_models()


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def test_airforce_file_has_the_71_known_model_strings():
    assert len(MODELS) == 71
    assert {"Iskander-M/KN-23", "KN-23", "Молнія", "X-101/X-555 and Kalibr"} <= set(MODELS)


@pytest.mark.parametrize("model", MODELS)
def test_every_airforce_model_resolves(cat, model):
    res = cat.resolve(model)
    assert res is not None, model
    assert res.models and res.weapon_class
    assert res.basis in ("catalogue", "ambiguous", "unknown")
    assert all(re.fullmatch(r"[A-Z]{3}", o) for o in res.origins)
    assert (res.basis == "unknown") == (not res.origins)


def test_kn23_is_north_korean(cat):
    for alias in ("KN-23", "KN23", "kn 23", "Hwasong-11A", "Hwasong-11Ga"):
        res = cat.resolve(alias)
        assert res.origins == ("PRK",) and res.basis == "catalogue", alias
        assert res.models == ("KN-23",)
    assert cat.resolve("KN-24").models == ("KN-24",)  # a different missile


def test_plain_hwasong_11_names_the_family_not_kn23(cat):
    # "Hwasong-11" is the KN-23/KN-24 family: a report saying only that must not become a KN-23.
    for alias in ("Hwasong-11", "Hwasong 11", "Хвасон-11", "KN-23/KN-24", "Hwasong-11 (KN-23/24)"):
        res = cat.resolve(alias)
        assert res.models == ("Hwasong-11 (KN-23/KN-24)",), alias
        assert res.origins == ("PRK",) and res.basis == "catalogue", alias
        assert res.weapon_class == "ballistic missile"
    assert cat.infer("debris of a Hwasong-11 missile").models == ("Hwasong-11 (KN-23/KN-24)",)
    assert cat.infer("fragments of a Hwasong-11A").models == ("KN-23",)


def test_iskander_or_kn23_in_words_is_the_ambiguous_pair(cat):
    # The Air Force wording quoted by Reuters (bundled row 0017 quotes it in its description).
    for text in ("Iskander-M or KN-23", "KN-23 or Iskander-M"):
        res = cat.resolve(text)
        assert res.models == ("Iskander-M/KN-23",), text
        assert res.origins == ("RUS", "PRK") and res.basis == "ambiguous", text


def test_north_korean_artillery_shells_are_soviet_designs_made_in_north_korea(cat):
    res = cat.resolve("North Korean artillery shells")
    assert res.models == ("North Korean artillery shells",)
    assert res.weapon_class == "tube artillery"
    assert res.origins == ("RUS",) and res.basis == "catalogue"  # Soviet calibre = design
    assert cat.resolve("North Korean 152 mm shells") == res
    assert cat.resolve("152 mm shell") is None  # a calibre alone does not say who made it


def test_forpost_origin_is_the_israeli_design(cat):
    res = cat.resolve("Forpost-R")
    assert res.models == ("Forpost",) and res.origins == ("ISR",) and res.basis == "catalogue"
    assert "Searcher" in cat.entry("Forpost").notes
    assert res.supplier_for("2024-05-01") == "RUS"  # licence-built in Russia


@pytest.mark.parametrize(("model", "day", "supplier"), [
    ("Shahed-136", "2022-10-17", "IRN"),        # Iranian deliveries (Aug 2022 on)
    ("Geran-2", "2023-06-30", "IRN"),
    ("Geran-2", "2023-07-01", "IRN;RUS"),       # Alabuga from July 2023, Iran still supplying
    ("Shahed-136/131", "2024-01-02", "IRN;RUS"),
    ("Shahed", "2025-08-07", "IRN;RUS"),
    ("Shahed-136/131", "2025-08-08", "RUS"),    # "almost exclusively" Russian-made (CNN, Aug 2025)
    ("Shahed-131", "2026-01-01", "IRN;RUS"),    # never Russia alone without a source
    ("Geran-3", "2025-09-01", "RUS"),
    ("Mohajer-6", "2022-10-01", "IRN"),
    ("KN-23", "2024-01-02", "PRK"),
    ("KN-24", "2024-01-02", "PRK"),
    ("Hwasong-11", "2024-01-02", "PRK"),
    ("Iskander-M or KN-23", "2024-08-05", "RUS;PRK"),
    ("North Korean artillery shells", "2023-11-01", "PRK"),
    ("Koksan", "2025-01-07", "PRK"),
    ("Kh-101", "2024-07-08", "RUS"),            # empty cell: supplier = origin
    ("Unknown UAV", "2024-07-08", ""),          # no origin, no supplier
])
def test_real_catalogue_suppliers_by_date(cat, model, day, supplier):
    assert cat.resolve(model).supplier_for(day) == supplier


def test_every_supplier_cell_of_the_real_catalogue_parses_and_has_a_reason(cat):
    dated = [e for e in cat.entries if "@" in e["supplier"]]
    assert {e["model"] for e in dated} == {"Shahed-136", "Shahed-131", "Shahed-136/131"}
    for entry in cat.entries:
        if entry["supplier"] and entry["supplier"] != entry["origin"]:
            assert entry["notes"], entry["model"]  # a supplier differing from origin is explained


def test_iskander_kn23_pair_is_ambiguous_never_guessed(cat):
    res = cat.resolve("Iskander-M/KN-23")
    assert res.origins == ("RUS", "PRK") and res.basis == "ambiguous"
    combo = cat.resolve("X-101/X-555 and Kalibr and Iskander-M/KN-23")
    assert combo.origins == ("RUS", "PRK") and combo.basis == "ambiguous"
    assert combo.models == ("Kh-101/Kh-555", "Kalibr", "Iskander-M/KN-23")


def test_slash_alternatives_with_different_origins_are_ambiguous(cat):
    res = cat.resolve("Kalibr/KN-23")
    assert res.models == ("Kalibr/KN-23",)
    assert res.origins == ("RUS", "PRK") and res.basis == "ambiguous"


def test_two_weapons_in_one_report_are_not_ambiguity(cat):
    res = cat.resolve("Shahed-136/131 and Lancet")
    assert res.origins == ("IRN", "RUS") and res.basis == "catalogue"
    assert res.weapon_class == "loitering munition"
    assert cat.resolve("Kalibr + Kh-101").models == ("Kalibr", "Kh-101")


def test_shahed_origin_is_design_country_and_geran_is_the_same_entry(cat):
    assert cat.resolve("Shahed-136/131").origins == ("IRN",)
    geran, shahed = cat.resolve("Geran-2"), cat.resolve("Shahed-136")
    assert geran == shahed and geran.origins == ("IRN",) and geran.basis == "catalogue"
    assert cat.resolve("Герань-2") == shahed
    assert "Alabuga" in cat.entry("Geran-2").notes
    assert cat.resolve("Gerbera").origins == ("RUS",)


def test_kh_x_and_cyrillic_kha_are_one_model(cat):
    spellings = ("Kh-101", "X-101", "\u0425-101", "kh101", "Kh\u2011101", "KH-101")
    results = {cat.resolve(s) for s in spellings}
    assert len(results) == 1 and results.pop().models == ("Kh-101",)
    assert cat.resolve("X-47 Kinzhal").models == ("Kh-47M2 Kinzhal",)
    assert cat.resolve("С-300").models == ("S-300",)  # Cyrillic Es
    assert fold("Тu-22К") == "tu-22k"  # lookalike Cyrillic inside a Latin word
    assert fold("Молнія") == "молнія"  # a Cyrillic word stays Cyrillic


def test_cyrillic_models(cat):
    assert cat.resolve("Молнія").models == ("Molniya",)
    assert cat.resolve("Молнія").origins == ("RUS",)
    assert cat.resolve("Картограф").origins == ("RUS",)
    assert cat.resolve("Привет-82").origins == ("RUS",)
    feniks = cat.resolve("Фенікс")
    assert feniks.origins == () and feniks.basis == "unknown"


def test_generic_labels_have_no_origin(cat):
    for label in ("Unknown UAV", "Unknown Missile", "Ballistic Missile", "Reconnaissance UAV",
                  "Aerial Bomb"):
        res = cat.resolve(label)
        assert res.origins == () and res.basis == "unknown", label


def test_gbu_is_russian_guided_bomb(cat):
    res = cat.resolve("GBU")
    assert res.models == ("KAB",) and res.origins == ("RUS",)
    assert res.weapon_class == "guided bomb"


def test_unknown_text_gives_none(cat):
    for text in ("Foo-9", "", "   ", None, "Kalibr and Foo-9", "Kalibr/Foo"):
        assert cat.resolve(text) is None, text


def _cir_text(entry: str) -> str:
    with open(CIR, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["entry"] == entry:
                return " | ".join((row["arms/munition"], row["title"], row["brief description"]))
    raise AssertionError(f"{entry} not in {CIR}")


@pytest.mark.parametrize(("entry", "model"), [
    ("UW3155", "Iskander-M"),   # "Reported Iskander ballistic missile strike on a mall … Kyiv"
    ("UW6888", "Iskander-M"),   # "A Russian Iskander missile strike hitting 2 … MRLs"
])
def test_infer_on_real_cir_rows(cat, entry, model):
    res = cat.infer(_cir_text(entry))
    assert res is not None and res.models == (model,) and res.origins == ("RUS",)


@pytest.mark.parametrize(("text", "models"), [
    ("Video of a Russian missile strike (reportedly a Kh-59MK2) on a bridge in Zatoka.",
     ("Kh-59MK2",)),
    ("Kh-31P missile wreckage", ("Kh-31P",)),
    ("Overnight 'Shahed' drones and Kalibr missiles hit Odesa", ("Shahed-136/131", "Kalibr")),
    ("Iskender", ("Iskander-M",)),
    ("Remains of a Tochka-U missile", ("Tochka-U",)),
    ("Russian loitering munitions strike in Podil, Kyiv with ZALA KYB-UAV", ("KUB-BLA",)),
    ("Debris of an Х-101 found near the village", ("Kh-101",)),
])
def test_infer_finds_mentions(cat, text, models):
    assert cat.infer(text).models == models


@pytest.mark.parametrize("text", [
    "Shelling of Ukrainian S-300 system.",          # the S-300 is the target
    "Bombing of Neptune Pool in Mariupol",         # a swimming pool, not the missile
    "Ballistic missile strike on the city",        # generic: no model, no origin
    "Russian military camp emptying",
    "GBU-39 bomb",                                 # a US bomb: 'GBU' alone is exact-only
    "",
])
def test_infer_returns_none_without_a_named_weapon(cat, text):
    assert cat.infer(text) is None


def test_agrees_with_the_kaggle_lookup_table(cat):
    lookup = AIRFORCE.parent / "missiles_and_uav.csv"
    iso = {"russia": "RUS", "iran": "IRN", "": ""}
    with open(lookup, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 37
    # The lookup's "national_origin" is where Russia got Forpost; ours is the design country.
    design_not_supplier = {"Forpost": "ISR"}
    for row in rows:
        expected = design_not_supplier.get(row["model"], iso[row["national_origin"]])
        assert ";".join(cat.resolve(row["model"]).origins) == expected, row
    assert set(design_not_supplier) <= {row["model"] for row in rows}


def test_catalogue_file_is_consistent(cat):
    with open(CATALOGUE_PATH, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(cat.entries) == len(rows)
    assert {"RUS", "IRN", "PRK"} <= set(cat.origins())
    for row in rows:
        assert row["origin_basis"] in ("catalogue", "ambiguous", "unknown"), row["model"]
        assert cat.resolve(row["model"]).models == (row["model"],)
    assert cat.entry("Iskander-M/KN-23").basis == "ambiguous"


def test_every_alias_resolves_to_its_own_entry(cat):
    for entry in cat.entries:
        for alias in entry["aliases"].split("|"):
            assert cat.resolve(alias).models == (entry["model"],), alias


def test_alias_collision_is_refused(tmp_path):
    bad = tmp_path / "w.csv"
    bad.write_text("model,aliases,weapon_class,origin,origin_basis,notes\n"
                   "A,X-1,cruise missile,RUS,catalogue,\nB,Kh-1,cruise missile,IRN,catalogue,\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="used by both"):
        load_catalogue(bad)


def _small_catalogue(tmp_path, rows: str, header: str = "model,aliases,weapon_class,origin,"
                     "origin_basis,supplier,notes") -> Catalogue:
    path = tmp_path / "weapons.csv"
    path.write_text(header + "\n" + rows, encoding="utf-8")
    return load_catalogue(path)


def test_supplier_is_dated_and_defaults_to_the_origin(tmp_path):
    cat = _small_catalogue(tmp_path, (
        "Shahed-136,Geran-2,loitering munition,IRN,catalogue,"
        "IRN@..2022-12-31|RUS@2023-01-01..,\n"
        "KN-23,,ballistic missile,PRK,catalogue,,\n"
        "Iskander-M,,ballistic missile,RUS,catalogue,RUS,\n"
        "Forpost,,reconnaissance drone,ISR,catalogue,RUS@2019-01-01..,\n"))
    shahed = cat.resolve("Geran-2")
    assert shahed.origin == "IRN"  # design origin, whoever supplied it
    assert shahed.supplier_for("2022-10-17") == "IRN"
    assert shahed.supplier_for("2024-01-02") == "RUS"
    assert shahed.families == ("drones",)
    assert cat.resolve("KN-23").supplier_for("2024-01-02") == "PRK"  # empty → origin
    assert cat.resolve("Iskander-M/KN-23").supplier_for("2024-01-02") == "RUS;PRK"
    assert cat.resolve("Shahed-136 and KN-23").supplier_for("2022-11-01") == "IRN;PRK"
    assert cat.resolve("Forpost").supplier_for("2018-05-01") == ""  # no period covers it
    assert cat.entries[0]["supplier"] == "IRN@..2022-12-31|RUS@2023-01-01.."


def test_first_period_containing_the_date_wins(tmp_path):
    cat = _small_catalogue(tmp_path, (
        "X,,cruise missile,RUS,catalogue,PRK@2024-01-01..2024-01-31|RUS,\n"))
    assert cat.resolve("X").supplier_for("2024-01-15") == "PRK"
    assert cat.resolve("X").supplier_for("2024-02-01") == "RUS"


@pytest.mark.parametrize("cell, reason", [
    ("Iran", "alpha-3"), ("IRN@2022", "CODES@FROM..TO"), ("IRN@2022-13-01..", "ISO dates"),
    ("IRN@2023-01-01..2022-01-01", "ends before"), ("@2022-01-01..", "alpha-3"),
])
def test_a_bad_supplier_cell_names_row_and_field(tmp_path, cell, reason):
    with pytest.raises(ValueError, match=rf"row 2: field 'supplier': .*{reason}"):
        _small_catalogue(tmp_path, f"X,,cruise missile,RUS,catalogue,{cell},\n")


def test_catalogue_without_a_supplier_column_still_loads(tmp_path):
    cat = _small_catalogue(tmp_path, "X,,combat drone,RUS,catalogue,\n",
                           header="model,aliases,weapon_class,origin,origin_basis,notes")
    assert cat.resolve("X").supplier_for("2024-01-01") == "RUS"


def test_catalogue_classes_are_vocabulary_classes(cat):
    from geo.taxonomy import CLASSES

    for row in cat.entries:
        for cls in row["weapon_class"].split(";"):
            assert cls in CLASSES, (row["model"], cls)


def test_importers_set_the_supplier_for_catalogue_weapons():
    from geo.catalogue import with_supplier

    row = with_supplier({"weapon_model": "KN-23", "event_date": "2024-01-02",
                         "weapon_supplier": ""})
    assert row["weapon_supplier"] == "PRK"
    stated = {"weapon_model": "KN-23", "event_date": "2024-01-02", "weapon_supplier": "RUS"}
    assert with_supplier(stated) == stated  # a source's own supplier is never replaced
    assert with_supplier({"weapon_model": "", "weapon_supplier": ""})["weapon_supplier"] == ""


def _bundled_rows() -> list[dict[str, str]]:
    with open(CATALOGUE_PATH.parent / "events.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_bundled_weapons_resolve_with_their_origin_and_dated_supplier(cat):
    rows = _bundled_rows()
    assert len(rows) == 22
    for row in rows:
        if not row["weapon_model"]:  # transfer/plan rows: supplier as the source states it
            assert row["weapon_supplier"] in ("PRK", "IRN"), row["event_id"]
            continue
        res = cat.resolve(row["weapon_model"])
        assert res is not None, row["event_id"]
        assert ";".join(res.origins) == row["weapon_origin"], row["event_id"]
        assert res.supplier_for(row["event_date"]) == row["weapon_supplier"], row["event_id"]


def test_bundled_rows_are_no_more_precise_than_their_sources():
    rows = {row["event_id"][-4:]: row for row in _bundled_rows()}
    family = "Hwasong-11 (KN-23/KN-24)"
    for sid in ("0005", "0006", "0007", "0019"):  # sources say only "North Korean" missile
        assert rows[sid]["weapon_model"] == family, sid
        assert "inferred" in rows[sid]["description"] or "not KN-23" in rows[sid]["description"]
    for sid in ("0004", "0012", "0014", "0015"):  # "Shahed(-type)" is not "Shahed-136"
        assert rows[sid]["weapon_model"] == "Shahed-136/131", sid
    assert rows["0004"]["destroyed"] == "27"
    assert rows["0012"]["origin_basis"] == "catalogue"
    plan = rows["0022"]
    assert plan["event_type"] == "other"
    assert plan["description"].startswith("A plan, not a delivery")
    shells = rows["0021"]
    assert (shells["event_type"], shells["weapon_origin"], shells["weapon_supplier"]) == \
        ("transfer", "RUS", "PRK")


def test_or_between_two_models_is_the_ambiguous_slash_pair(cat):
    # Regression (issue 9): a bundled row's own wording did not resolve.
    for text in ("Iskander-M or KN-23", "Iskander-M або KN-23"):
        res = cat.resolve(text)
        assert res is not None, text
        assert res.origins == ("RUS", "PRK") and res.basis == "ambiguous"
