"""Weapons named in free text: catalogue models (with inflections) and generic words.

:func:`find_weapons` reads text in English, Ukrainian, Russian and the other languages seen
in real files (Italian, Polish, German, French, Spanish headlines) and returns
:class:`Mention` objects: the span as written (the evidence shown to the user), the
catalogue model when one is named, the vocabulary classes (``geo.taxonomy``) and a count when
the text states one ("12 Shahed drones", "два Іскандери").

How matching works, and why:

* The text is folded *without changing its length* (lower case, Unicode dashes → ``-``,
  Cyrillic letters that look Latin → Latin inside tokens that also hold Latin letters or
  digits, so ``Х-101`` ≡ ``X-101``), so every match maps back to the original characters.
* Catalogue aliases (``data/weapons.csv``) become patterns: ``X-``/``Kh-`` before a number is
  one token (``Kh-101`` ≡ ``X101`` ≡ ``Х-101``), hyphens and spaces inside an alias are
  optional, and a closed list of endings is allowed after it: English ``s``/``'s``,
  Ukrainian/Russian case endings (``шахедів``, ``Калібрами``, ``Іскандери``, ``Герані``),
  Polish/Italian plurals. An open "any letters" suffix would turn ``Orlan`` into ``Orlando``.
* Generic words ("missile strike", "drone attack", "shelling", "обстріл", "ракетний удар",
  "dron", "Beschuss") give a class (``unspecified missile``…, or ``cruise missile`` for
  "крилата ракета"), never a model. English "rocket" is both a missile and an MLRS rocket.
* Not weapons: a number with a unit (``S-300 km``, "Ukraine's 300 km" is not an S-300), a
  named *target* ("destroyed a Ukrainian S-300 system", "знищено РСЗВ Град"), a drone that
  only filmed ("drone footage shows", "відео з дрона"), a bomb shelter, "The Lancet", and
  Cyrillic words that are also ordinary words (``град`` hail, ``ураган``, ``смерч``,
  ``точка`` point, ``герань`` geranium, ``куб``): those count only beside a weapon word or in
  quotes, or for a street name never (``вулиця Шахедів``-style names: a street word right
  before the alias cancels it).
* Overlaps: the longest match wins ("Shahed drones" is one mention, not two).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from geo.catalogue import Catalogue, fold, latinise_lookalikes, load_catalogue
from geo.taxonomy import family_of, normalise_class

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_CYR = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(r"[\w\-]+")

# Case endings allowed after an alias (closed lists; see the module docstring), longest first.
_LATIN_ENDINGS = ("ami", "ach", "ów", "es", "s", "y", "i")
_CYR_ENDINGS = ("ами", "ями", "ові", "ах", "ях", "ам", "ям", "ів", "ов", "ев", "ей", "ом", "ем",
                "ою", "ею", "ий", "ій", "а", "у", "ю", "и", "і", "ы", "е", "я")
_WORD = re.compile(r"[^\W_]+")
_GAP = re.compile(r"^\s{0,2}[-/]?\s{0,2}$")
_MAX_TOKENS = 5
_UNIT = re.compile(r"^\s*(?:km|m|mm|cm|kg|t|км|м|мм|кг|метр\w*|met(?:er|re)s?|miles?)\b")
_STREET = re.compile(r"(?:вулиц[яі]|вул\.|улиц[аы]|ул\.|проспект\w*|пр-т|провулок|street|st\.|"
                     r"avenue|ave\.)\s*$", re.IGNORECASE)
_TARGET_AFTER = re.compile(
    r"^\s*(?:(?:ballistic|cruise|anti-aircraft)\s+)?(?:(?:missile|rocket)s?\s+)?"
    r"(?:[\w-]+\s+)?(?:systems?|battery|batteries|launchers?|radars?|positions?|tels?|"
    r"transloaders?|vehicles?|complex(?:es)?|units?|crews?|was destroyed|destroyed|"
    r"комплекс\w*|батаре\w*|установк\w*|знищ\w*)\b")
_TARGET_BEFORE = re.compile(
    r"(?:ukrainian|destroyed|captured|abandoned|damaged|знищен\w*|знищили|уражен\w*|"
    r"захоплен\w*|уничтожен\w*)\s+(?:[\w-]+\s+)?$")
_HIT_OBJECT_BEFORE = re.compile(
    r"(?:destroyed|captured|abandoned|damaged|(?:strikes?|hits?|attacks?) on|знищен\w*|"
    r"знищили|уражен\w*|захоплен\w*|уничтожен\w*)\s+(?:(?:an?|the|ukrainian|russian)\s+)?(?:[\w-]+\s+)?$")
_FILMED_AFTER = re.compile(r"^\s*(?:footage|video|videos|image|images|shot|shots|view|camera|"
                           r"shows?|showing|filmed|recording|photos?)\b")
_FILMED_BEFORE = re.compile(r"(?:filmed by|seen from|from|with|by|з|із|зі|с|со)\s+(?:an?\s+)?$")
_QUOTED = re.compile(r"[\"«“'‘]\s*$")
# Words that place an ordinary-word homonym in a weapon context.
_CONTEXT = re.compile(
    r"ракет|рсзв|рсзо|реактивн|снаряд|дрон|бпла|безпілот|беспилот|обстр|залп|"
    r"mlrs|rocket|missile|drone|uav|launcher|strike|shell|fired|loitering|kamikaze|"
    r"камікадзе|камикадзе|барраж|ударн|комплекс|отрк|балістич|баллистич|атак|attack|"
    r"збит|сбит|shot down", re.IGNORECASE)
# Aliases that are also ordinary words: kept only in a weapon context or in quotes.
HOMONYMS = frozenset({
    "град", "ураган", "смерч", "точка", "орлан", "куб", "молнія", "молния", "блискавка",
    "герань", "гербера", "гранат", "фенікс", "феникс", "оникс", "онікс", "циркон", "оріон",
    "орион", "картограф", "нептун", "merlin", "orion", "lancet", "orlan", "onyx", "zircon",
    "triumf", "uran", "gerbera", "fenix", "feniks", "tochka", "grad", "kub", "geran",
})

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20,
    "один": 1, "одна": 1, "одну": 1, "два": 2, "дві": 2, "две": 2, "три": 3, "чотири": 4,
    "четыре": 4, "п'ять": 5, "пять": 5, "шість": 6, "шесть": 6, "сім": 7, "семь": 7,
    "вісім": 8, "восемь": 8, "десять": 10, "двадцять": 20, "двадцать": 20,
}
_COUNT_BEFORE = re.compile(
    r"(?<![\w.,\-/])(\d{1,4}|" + "|".join(sorted(map(re.escape, _WORD_NUMBERS), key=len,
                                              reverse=True))
    + r")\s+(?:[^\W\d]+\s+){0,2}$", re.IGNORECASE)

# Generic words → vocabulary classes, most specific first (longest match wins anyway).
_GENERIC: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"cruise missiles?|крилат\w* ракет\w*|крылат\w* ракет\w*|missili? da crociera|"
     r"marschflugk[öo]rper\w*|missiles? de croisi[èe]re|misiles? de crucero|"
     r"rakiet\w* manewruj\w*", ("cruise missile",)),
    (r"(?:short-range )?ballistic missiles?|балістичн\w* ракет\w*|баллистическ\w* ракет\w*|"
     r"missili? balistic\w*|ballistische\w* rakete\w*|rakiet\w* balistyczn\w*|"
     r"misiles? bal[íi]stic\w*", ("ballistic missile",)),
    (r"(?:surface-to-air|anti-?aircraft|air[- ]defen[cs]e|sam) missiles?|"
     r"зенітн\w* ракет\w*|зенитн\w* ракет\w*", ("surface-to-air missile",)),
    (r"anti-?ship missiles?|протикорабельн\w* ракет\w*|противокорабельн\w* ракет\w*",
     ("anti-ship missile",)),
    (r"(?:air-to-surface|air-launched|anti-radiation) missiles?|керован\w* ракет\w*",
     ("air-to-surface missile",)),
    (r"ракетн\w* (?:удар\w*|обстр\w*|атак\w*)|missiles?|ракет(?:а|и|у|ою|ами|ах|ний|на|"
     r"не|ного|ної|ному|ним|них|ні|ный|ная|ное|ные|ных|ным|ой|ою)?|missil[ei]|misiles?|"
     r"rakiet[ayę]?\w*|raketen\w*|rakete|raketenangriff\w*", ("unspecified missile",)),
    (r"rockets?(?: strikes?| attacks?| fire)?", ("unspecified missile", "rocket artillery")),
    (r"kamikaze drones?|дрон\w*[- ]камікадзе|дрон\w*[- ]камикадзе|loitering munitions?|"
     r"барражуюч\w* боєприпас\w*|баражуюч\w* боєприпас\w*|droni? kamikaze|drony? kamikadze",
     ("loitering munition",)),
    (r"fpv(?:[- ]drones?)?|фпв|fpv-дрон\w*", ("attack drone",)),
    (r"reconnaissance drones?|recon drones?|розвідувальн\w* (?:дрон\w*|бпла|безпілотник\w*)",
     ("reconnaissance drone",)),
    (r"drones?|uavs?|дрон(?:и|ів|а|ом|ами|ах|у)?|безпілотник\w*|беспилотник\w*|бпла|бплa|"
     r"droni|drony|dron[óo]w|dron|drohnen?|drones?", ("unspecified drone",)),
    (r"glide bombs?|guided (?:aerial )?bombs?|керован\w* авіа(?:ційн\w* )?бомб\w*|"
     r"управляем\w* авиа(?:ционн\w* )?бомб\w*|кабами|кабів|umpk|умпк", ("guided bomb",)),
    (r"air ?strikes?|aerial bombs?|bombs?(?!\s*(?:shelters?|squads?|disposal|threats?|"
     r"scares?))|авіабомб\w*|авиабомб\w*|авіаудар\w*|авиаудар\w*|авіаційн\w* бомб\w*|"
     r"бомб(?:а|и|у|ами|ою)|fliegerbomben?|bombe|bomby", ("unspecified bomb",)),
    (r"mlrs|mrls?|multiple[- ](?:launch )?rocket(?: launchers?| systems?)?|рсзв|рсзо|"
     r"реактивн\w* (?:систем\w* залпового вогню|снаряд\w*)|cluster munitions?|"
     r"cluster (?:rockets?|bombs?|shells?)|касетн\w* (?:боєприпас\w*|снаряд\w*)|"
     r"кассетн\w* (?:боеприпас\w*|снаряд\w*)", ("rocket artillery",)),
    (r"mortars?(?: fire| shelling| shells?| rounds?)?|мінометн\w*(?: обстріл\w*)?|"
     r"міномет\w*|минометн\w*|миномет\w*|mortai|mortiers?", ("mortar",)),
    (r"howitzers?|tank (?:fire|shells?)|гаубиц\w*|гаубич\w*|ствольн\w* артилер\w*",
     ("tube artillery",)),
    (r"shell(?:ing|ed)|artillery(?: shells?| fire| strikes?)?|arty|shells(?= (?:hit|fell|"
     r"landed|struck))|обстріл\w*|артобстріл\w*|обстрел\w*|артобстрел\w*|артилер\w*|"
     r"артиллер\w*|beschuss|ostrza[łl]\w*|bombardamento|bombardement|bombardeo",
     ("unspecified artillery",)),
    (r"small[- ]arms(?: fire)?|gunfire|sniper fire|стрілецьк\w* зброї", ("other",)),
)


@dataclass(frozen=True)
class Mention:
    """One weapon named in a text."""

    span: str                       # the characters as written (evidence)
    start: int
    end: int
    model: str                      # catalogue model, '' for a generic word
    classes: tuple[str, ...]        # vocabulary classes (one, or two for "rocket")
    origins: tuple[str, ...]        # design origins of the model ('' for generic)
    ambiguous: bool                 # the model's origin is ambiguous (Iskander-M/KN-23)
    count: int | None = None

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(family_of(c) for c in self.classes))

    @property
    def generic(self) -> bool:
        return not self.model

    def evidence(self) -> str:
        """``'3 Kalibr'`` style text for the attribution line."""
        return f"{self.count} × {self.span!r}" if self.count else repr(self.span)


def fold_text(text: str) -> str:
    """Lower-case, dash- and lookalike-normalised text of the SAME length as ``text``.

    >>> fold_text("Ракетами Х-101") == "ракетами x-101"
    True
    """
    s = text.lower()
    if len(s) != len(text) or not s.isascii():
        chars = []
        for ch in text:
            low = unicodedata.normalize("NFKC", ch).casefold()
            chars.append(low if len(low) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
        s = "".join(chars)
    s = s.translate(_DASHES)
    if not _CYR.search(s):
        return s

    return _TOKEN.sub(latinise_lookalikes, s)


def _key(text: str) -> str:
    """Alias key: letters and digits only, ``kh``/``x`` before a number as ``x``."""
    return re.sub(r"[\W_]+", "", re.sub(r"(?<![^\W\d_])kh(?=[\s\-]?\d)", "x", text))


def _endings(last: str) -> tuple[str, ...]:
    """Endings that may follow an alias whose last character is ``last``."""
    if _CYR.match(last):
        return _CYR_ENDINGS
    if last.isdigit():
        return ("s",)
    return _LATIN_ENDINGS if last.isalpha() else ()


@dataclass(frozen=True)
class _Model:
    model: str
    classes: tuple[str, ...]
    origins: tuple[str, ...]
    ambiguous: bool


class WeaponText:
    """The compiled matcher for one catalogue (see :func:`matcher`)."""

    def __init__(self, catalogue: Catalogue):
        aliases: dict[str, _Model] = {}
        for row in catalogue.entries:
            if row["origin_basis"] == "unknown":
                continue  # generic labels ("drone", "missile"): the generic words cover them
            classes = tuple(dict.fromkeys(
                normalise_class(c) for c in row["weapon_class"].split(";") if c)) or ("other",)
            info = _Model(row["model"], classes,
                          tuple(o for o in row["origin"].split(";") if o),
                          row["origin_basis"] == "ambiguous")
            for alias in (row["model"], *row["aliases"].split("|")):
                folded = fold(alias)
                compact = re.sub(r"[\s\-.'’]", "", folded)
                # Short aliases (KAB, GBU, Kub) only when they hold a digit (TB2).
                if folded and (len(compact) >= 4 or (len(compact) >= 3
                                                     and re.search(r"\d", compact))):
                    aliases.setdefault(folded, info)
        # key → (model, homonym?); a soft-sign stem (герань → геран) is also a key.
        # Every inflected form is a key, so a lookup is one dict access; _prefixes lets the
        # token walk stop as soon as no alias can start with what it has read.
        self._keys: dict[str, tuple[_Model, bool]] = {}
        exact = {_key(alias): (info, alias in HOMONYMS) for alias, info in aliases.items()}
        forms_of: dict[str, list[str]] = {}
        for k, hit in exact.items():
            # Герань → Герані, Геранню: a soft sign is replaced by the ending, not kept.
            forms = [k] + ([k[:-1] + e for e in _CYR_ENDINGS] if k.endswith("ь")
                           else [k + e for e in _endings(k[-1])])
            forms_of[k] = forms
            for form in forms:
                if form == k or form not in exact:
                    self._keys.setdefault(form, hit)
        self._prefixes = {form[:n] for form in self._keys for n in range(1, len(form) + 1)}
        # Words that can start an alias as written ("kh101" is read as "x101").
        self._starts = {"kh"}
        for alias in aliases:
            first = _WORD.findall(alias)[0]
            self._starts.add(first)
            if first[:1] == "x" and first[1:2].isdigit():
                self._starts.add("kh" + first[1:])
            if len(_WORD.findall(alias)) == 1:
                self._starts.update(forms_of[_key(alias)])
        self._starts |= {"kh" + f[1:] for f in self._keys if f[:1] == "x" and f[1:2].isdigit()}
        self._starts |= {f for f in self._keys if f[:1] == "x" and f[1:2].isdigit()}
        # One alternation, most specific first: a single scan of the text.
        self._generic = re.compile(r"(?<![\w'’-])(?:" + "|".join(
            f"(?P<g{i}>{p})" for i, (p, _) in enumerate(_GENERIC)) + r")(?![\w])")

    def find(self, text: object) -> list[Mention]:
        raw = "" if text is None else str(text)
        if not raw.strip():
            return []
        folded = fold_text(raw)
        found: list[tuple[int, int, int, Mention]] = []
        for start, end, info, homonym in self._model_spans(folded):
            if self._rejected(raw, folded, start, end, homonym):
                continue
            found.append((start, -(end - start), 0, Mention(
                raw[start:end], start, end, info.model, info.classes, info.origins,
                info.ambiguous, _count(folded, start))))
        for match in self._generic.finditer(folded):
            classes = _GENERIC[int(match.lastgroup[1:])][1]
            start, end = match.span()
            if classes[0].endswith("drone") and _filmed(folded, start, end):
                continue
            if _HIT_OBJECT_BEFORE.search(folded[max(0, start - 40):start]) or \
                    _TARGET_AFTER.match(folded[end:end + 30]):
                continue  # "destroyed a Russian MLRS", "mortar positions"
            found.append((start, -(end - start), 1, Mention(
                raw[start:end], start, end, "", classes, (), False,
                _count(folded, start))))
        found.sort(key=lambda t: (t[0], t[1], t[2]))
        out: list[Mention] = []
        taken_until = -1
        for start, _, _, mention in found:
            if start < taken_until:
                continue
            last = out[-1] if out else None
            if (last is not None and last.model and mention.generic
                    and re.fullmatch(r"\s?", raw[last.end:start])
                    and set(mention.families) & set(last.families)):
                # "Shahed-136 drones", "S-300 missiles": one mention of the model
                if _TARGET_AFTER.match(fold_text(raw[mention.end:mention.end + 30])):
                    out.pop()  # "Tochka ballistic missile launchers": the object seen
                    taken_until = mention.end
                    continue
                out[-1] = Mention(raw[last.start:mention.end], last.start, mention.end,
                                  last.model, last.classes, last.origins, last.ambiguous,
                                  last.count)
            else:
                out.append(mention)
            taken_until = mention.end
        return out

    def _model_spans(self, folded: str):
        """(start, end, model, homonym) for catalogue aliases, longest first, no overlaps."""
        if not self._starts.intersection(_WORD.findall(folded)):
            return  # most texts name no catalogue weapon: one set test, no walk
        words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(folded)]
        i = 0
        while i < len(words):
            start = words[i][0]
            if start and folded[start - 1] in "'’":  # "Ukraine's 300 km"
                i += 1
                continue
            best = None
            compact = ""
            for j in range(i, min(i + _MAX_TOKENS, len(words))):
                if j > i and not _GAP.match(folded[words[j - 1][1]:words[j][0]]):
                    break
                word = words[j][2]
                if word == "kh" and j + 1 < len(words) and words[j + 1][2][:1].isdigit():
                    word = "x"
                compact += "x" + word[2:] if word[:2] == "kh" and word[2:3].isdigit() else word
                if compact not in self._prefixes:
                    break
                end = words[j][1]
                if folded[end:end + 2][:1] == "-" and folded[end + 1:end + 2].isdigit():
                    continue  # "Shahed-136": never stop before the number
                hit = self._keys.get(compact)
                if hit is not None:
                    best = (j, end, hit)
            if best is None:
                i += 1
                continue
            j, end, (info, homonym) = best
            yield start, end, info, homonym
            i = j + 1

    @staticmethod
    def _rejected(raw: str, folded: str, start: int, end: int, homonym: bool) -> bool:
        before, after = folded[max(0, start - 30):start], folded[end:end + 30]
        if raw[end - 1:end].isdigit() and _UNIT.match(after):
            return True  # "S-300 km": a distance, not a missile
        if _TARGET_AFTER.match(after) or _TARGET_BEFORE.search(before):
            return True  # the struck object, not the weapon
        if _STREET.search(before):
            return True
        if homonym:
            if before.rstrip().endswith("the"):
                return True  # "The Lancet"
            if _QUOTED.search(before):
                return False
            near = folded[max(0, start - 40):start] + " " + folded[end:end + 40]
            # An ordinary word is written in lower case; a weapon name is capitalised.
            return not (raw[start:start + 1].isupper() and _CONTEXT.search(near))
        return False


def _filmed(folded: str, start: int, end: int) -> bool:
    """A drone that only filmed the scene ("drone footage shows", "відео з дрона")."""
    before, after = folded[max(0, start - 20):start], folded[end:end + 20]
    return bool(_FILMED_AFTER.match(after)) or bool(_FILMED_BEFORE.search(before)) or bool(
        re.search(r"(?:відео|video|зйомк\w*|footage|кадр\w*)\s+(?:з|із|с|from)\s+$", before))


def _count(folded: str, start: int) -> int | None:
    match = _COUNT_BEFORE.search(folded[max(0, start - 40):start])
    if not match:
        return None
    word = match.group(1)
    value = int(word) if word.isdigit() else _WORD_NUMBERS.get(word)
    if value is None or not 0 < value <= 2000:
        return None
    return value


@lru_cache(maxsize=4)
def matcher(catalogue: Catalogue | None = None) -> WeaponText:
    """The matcher for ``catalogue`` (default: the bundled one); compiled once."""
    return WeaponText(catalogue or load_catalogue())


def find_weapons(text: object) -> list[Mention]:
    """Weapons named in ``text``, in order, with spans and counts.

    >>> [(m.model or m.classes[0], m.span) for m in find_weapons("атака шахедів на Одесу")]
    [('Shahed-136/131', 'шахедів')]
    >>> [(m.classes[0], m.span) for m in find_weapons("Shelling of bus stop in Mykolaiv")]
    [('unspecified artillery', 'Shelling')]
    >>> find_weapons("a range of S-300 km")
    []
    """
    return matcher().find(text)
