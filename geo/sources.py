"""The public sources Salvo can sync: one registry, as data.

Each entry says what the source provides, where it is published and how it was confirmed,
its format (an importer in :mod:`geo.importers`), licence and credit line, whether it needs
a key, and how often it is worth checking. A source with no stable public URL has
``url == ""`` and a ``manual`` note: it is imported from a file the user has.

Every URL below was confirmed from the publisher's own material (``confirmed`` says which);
none is guessed. Keys are read from settings / ``secrets.toml`` at request time
(:func:`credentials`) and never logged or stored.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.settings import ROOT


@dataclass(frozen=True)
class Source:
    name: str  # the CLI name: `python -m geo sync NAME`
    title: str
    provides: str  # "attack reports", "impacts", "transfers"
    url: str  # what is fetched ("" = manual)
    format: str  # importer name in geo.importers.FORMATS
    licence: str
    credit: str  # shown on the About page and in captions of exports with its events
    datasets: tuple[str, ...]  # `source_dataset` values its rows carry
    confirmed: str  # how the URL / parameters were confirmed
    access: str = "open"  # "open", "kaggle" (HTTP basic), "ucdp-token" (header)
    keys: tuple[str, ...] = ()  # settings the access needs, e.g. ("kaggle_username", …)
    refresh_hours: int = 24
    token_url: str = ""  # OAuth token endpoint, for access "acled-oauth"
    api: str = ""  # a paged API with its own fetcher in geo.apis ("ucdp", "acled"); "" = a file
    manual: str = ""  # why there is no sync (then url == "")


SOURCES: tuple[Source, ...] = (
    Source(
        name="airforce",
        title="Massive Missile Attacks on Ukraine (Ukrainian Air Force reports)",
        provides="attack reports",
        url="https://www.kaggle.com/api/v1/datasets/download/piterfm/"
            "massive-missile-attacks-on-ukraine/missile_attacks_daily.csv",
        format="airforce",
        licence="attribution required; licence shown on the Kaggle page (check before "
                "redistributing)",
        credit="Petro Ivaniuk, \"Massive Missile Attacks on Ukraine\" (Kaggle), compiled "
               "from Ukrainian Air Force reports",
        datasets=("petroivaniuk-missile-attacks",),
        confirmed="dataset page kaggle.com/datasets/piterfm/massive-missile-attacks-on-ukraine; "
                  "endpoint GET /api/v1/datasets/download/{ownerSlug}/{datasetSlug}/{fileName} "
                  "with HTTP basic auth (username, API key) from Kaggle's API documentation "
                  "(KaggleApi.md in the official kaggle-api repository)",
        access="kaggle",
        keys=("kaggle_username", "kaggle_key"),
        refresh_hours=24,
    ),
    Source(
        name="bellingcat",
        title="Bellingcat: Civilian Harm in Ukraine (TimeMap)",
        provides="impacts",
        url="https://bellingcat-embeds.ams3.cdn.digitaloceanspaces.com/production/ukr/"
            "timemap/api.json",
        format="timemap",
        licence="no data licence stated; attribution to Bellingcat expected",
        credit="Bellingcat, \"Civilian Harm in Ukraine\" (ukraine.bellingcat.com)",
        datasets=("bellingcat-civilian-harm",),
        confirmed="the `API_DATA` setting (\"S3 file address that can be downloaded or "
                  "integrated into external apps\") documented in the README of "
                  "github.com/bellingcat/ukraine-timemap; the address as set in that "
                  "project's config",
        refresh_hours=24,
    ),
    Source(
        name="ucdp",
        title="UCDP Georeferenced Event Dataset (GED), Ukraine",
        provides="impacts",
        url="https://ucdpapi.pcr.uu.se/api/gedevents/25.1?pagesize=1000&Country=369",
        format="ucdp",
        licence="CC BY 4.0 (UCDP data)",
        credit="Uppsala Conflict Data Program (UCDP), Georeferenced Event Dataset, version "
               "25.1 (ucdp.uu.se)",
        datasets=("ucdp-ged",),
        confirmed="ucdp.uu.se/apidocs: versioned RESTful API, token in the "
                  "x-ucdp-access-token header since February 2026, pagesize/page paging; "
                  "Country takes the Gleditsch-Ward code (Ukraine = 369)",
        access="ucdp-token",
        keys=("ucdp_token",),
        refresh_hours=24 * 7,
        api="ucdp",
    ),
    Source(
        name="acled",
        title="ACLED, Ukraine",
        provides="impacts",
        url="https://acleddata.com/api/acled/read?_format=csv&country=Ukraine&limit=5000",
        format="acled",
        licence="ACLED terms of use (attribution required; redistribution restricted)",
        credit="Armed Conflict Location & Event Data (ACLED), acleddata.com",
        datasets=("acled",),
        confirmed="acleddata.com API documentation (Getting started; Elements of ACLED's API: "
                  "_format=csv, limits and pagination); token: OAuth password grant at "
                  "https://acleddata.com/oauth/token with client_id 'acled', as in ACLED's own "
                  "R package acledR (acled_auth.R); `timestamp` for rows changed since a date",
        access="acled-oauth",
        token_url="https://acleddata.com/oauth/token",  # noqa: S106 - a URL, not a secret
        keys=("acled_email", "acled_password"),
        refresh_hours=24,
        api="acled",
    ),
    Source(
        name="cir",
        title="CIR / Bellingcat Russia-Ukraine Monitor Map (Eyes on Russia)",
        provides="impacts",
        url="",
        format="cir",
        licence="attribution required (CIR, Bellingcat); licence not stated",
        credit="Centre for Information Resilience, Eyes on Russia / Russia-Ukraine Monitor Map",
        datasets=("eyes-on-russia-cir",),
        confirmed="no download documented by the publisher",
        manual="no documented public download: import a copy you have "
               "(`python -m geo import events.csv`) or, if you know a URL, "
               "`python -m geo sync --url URL --format cir`",
    ),
)

SOURCES_BY_NAME = {source.name: source for source in SOURCES}


class MissingKey(RuntimeError):
    """A source needs a key that is not configured; the message names the setting."""


def secrets_file() -> Path:
    """Where Streamlit keeps secrets for this app (read directly: geo/ never imports it)."""
    return Path(os.environ.get("SALVO_SECRETS_FILE", ROOT / ".streamlit" / "secrets.toml"))


def _secret(name: str, env: Mapping[str, str]) -> str:
    value = env.get(f"SALVO_{name.upper()}", "")
    if value:
        return value
    path = secrets_file()
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("sources", {})
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
            return ""
        return str(table.get(name, "") or "")
    return ""


def credentials(source: Source, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The source's keys by setting name, from ``SALVO_<NAME>`` or ``[sources]`` in
    ``secrets.toml``; raises :class:`MissingKey` naming what to set."""
    env = os.environ if env is None else env
    found = {name: _secret(name, env) for name in source.keys}
    missing = [name for name, value in found.items() if not value]
    if missing:
        names = ", ".join(f"SALVO_{n.upper()}" for n in missing)
        raise MissingKey(f"{source.name}: needs {names} (environment) or "
                         f"{', '.join(missing)} under [sources] in secrets.toml")
    return found


def credits_for(datasets: Iterable[str]) -> list[str]:
    """Credit lines of the registered sources whose rows are among ``datasets``.

    >>> credits_for(["petroivaniuk-missile-attacks", "unknown-file"])[0].startswith("Petro Ivaniuk")
    True
    """
    wanted = set(datasets)
    return [s.credit for s in SOURCES if wanted & set(s.datasets)]
