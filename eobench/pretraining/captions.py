"""Captions from the generative truth, their verifier, and ``caption_noise``.

GeoMeld writes captions with an LLM from each tile's metadata and has a second agent check
every claim against that metadata. Here the tile's attributes are known exactly (the
generator's latents and the ``mmearth`` arrays), so both roles are done exactly:

1. :func:`derive_claims` states the facts an attribute record supports, each a
   :class:`Claim` (a fact and its fields): land-cover composition (the dominant class and
   its share, a second class of at least 15 %), terrain (flat, hilly, mountainous and the
   mean elevation), open water, snow, season, cloud, biome and place (continent and
   hemisphere). Facts whose attribute sits in the ambiguous middle (5 % water, say) are
   not claimed at all.
2. :func:`corrupt` replaces an exact fraction ``caption_noise`` of the claims of a set
   of captions by wrong ones (another value of the same fact): what unverified captions
   contain.
3. :func:`verify` re-derives every claim from the attributes and drops the ones that
   disagree (GeoMeld's verification agent, done exactly).
4. :func:`render` writes the kept claims in one of several phrasings per fact
   (:data:`DEFAULT_TEMPLATES`, or the config's ``pretraining.captions.templates``).

An attribute record is a plain dict (:func:`attribute_records` reads them from the store):
``cover`` (class -> fraction of the tile), ``elevation_mean`` and ``elevation_std`` (m),
``snow`` and ``cloud`` (fractions of the image in the acquisition season), ``season``,
``biome``, ``continent`` and ``lat``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from eobench.data.bands import SEASONS
from eobench.data.geography import ICE_FREE_WEIGHTS
from eobench.data.mmearth import BIOMES
from eobench.data.spectra import CLASSES
from eobench.errors import EobenchError

#: A second land-cover class is claimed from this share of the tile on.
SECOND_COVER_MIN = 0.15
#: Open water is claimed present from this fraction, absent below the second.
WATER_PRESENT, WATER_ABSENT = 0.10, 0.02
#: Snow (fraction of the image in the acquisition season) likewise.
SNOW_PRESENT, SNOW_ABSENT = 0.20, 0.02
#: Cloud (fraction of the image in the acquisition season): cloudy from, clear below.
CLOUDY, CLEAR = 0.30, 0.05
#: Terrain: flat below both (mean m, std m); mountainous from either.
FLAT_MEAN, FLAT_STD = 500.0, 30.0
MOUNTAIN_MEAN, MOUNTAIN_STD = 1500.0, 200.0
TERRAINS = ("flat", "hilly", "mountainous")
CONTINENTS: tuple[str, ...] = tuple(ICE_FREE_WEIGHTS)

#: Fact -> the fields its templates may name.
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "land_cover": ("cover", "share"),
    "second_cover": ("cover", "share"),
    "terrain": ("terrain", "elevation"),
    "water": ("water",),
    "snow": ("snow",),
    "season": ("season",),
    "cloud": ("cloud",),
    "biome": ("biome",),
    "place": ("continent", "hemisphere"),
}
FACTS: tuple[str, ...] = tuple(FACT_FIELDS)

#: Several phrasings per fact (a caption draws one per claim).
DEFAULT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "land_cover": (
        "mostly {cover} ({share} %)",
        "{cover} covers about {share} % of the tile",
        "a tile dominated by {cover}",
    ),
    "second_cover": (
        "with some {cover} ({share} %)",
        "{cover} makes up about {share} %",
        "patches of {cover}",
    ),
    "terrain": (
        "{terrain} terrain around {elevation} m",
        "the ground is {terrain}",
        "{terrain} land at about {elevation} m elevation",
    ),
    "water": ("{water}", "the tile shows {water}", "there is {water}"),
    "snow": ("{snow}", "the ground is {snow}", "a {snow} scene"),
    "season": ("seen in {season}", "acquired in {season}", "a {season} image"),
    "cloud": ("{cloud} sky", "the image is {cloud}", "taken under a {cloud} sky"),
    "biome": ("in the {biome} biome", "a {biome} landscape", "{biome}"),
    "place": (
        "in {continent}",
        "located in {continent}, {hemisphere} hemisphere",
        "somewhere in the {hemisphere} hemisphere, in {continent}",
    ),
}


@dataclass(frozen=True)
class Claim:
    """One statement of a caption: a fact and the values of its fields."""

    fact: str
    values: tuple[tuple[str, object], ...]

    @classmethod
    def of(cls, fact: str, **values) -> Claim:
        return cls(fact, tuple(sorted(values.items())))

    def get(self, field: str):
        return dict(self.values)[field]


def _share(fraction: float) -> int:
    """A fraction as captions write it: percent rounded to 10."""
    return int(round(float(fraction) * 10) * 10)


def _level(value: float, present: float, absent: float, words: tuple[str, str]):
    if value >= present:
        return words[0]
    if value < absent:
        return words[1]
    return None


def terrain_of(elevation_mean: float, elevation_std: float) -> str:
    if elevation_mean >= MOUNTAIN_MEAN or elevation_std >= MOUNTAIN_STD:
        return "mountainous"
    if elevation_mean < FLAT_MEAN and elevation_std < FLAT_STD:
        return "flat"
    return "hilly"


def derive_fact(fact: str, attributes: Mapping) -> Claim | None:
    """The claim the attributes support about ``fact``, or None (nothing to claim)."""
    cover = attributes["cover"]
    ranked = sorted(cover, key=lambda c: (-cover[c], CLASSES.index(c)))
    if fact == "land_cover":
        return Claim.of(fact, cover=ranked[0], share=_share(cover[ranked[0]]))
    if fact == "second_cover":
        second = ranked[1]
        if cover[second] < SECOND_COVER_MIN:
            return None
        return Claim.of(fact, cover=second, share=_share(cover[second]))
    if fact == "terrain":
        mean, std = float(attributes["elevation_mean"]), float(attributes["elevation_std"])
        return Claim.of(fact, terrain=terrain_of(mean, std), elevation=int(round(mean, -2)))
    if fact in ("water", "snow", "cloud"):
        value = cover["water"] if fact == "water" else attributes[fact]
        thresholds = {
            "water": (WATER_PRESENT, WATER_ABSENT, ("open water", "no open water")),
            "snow": (SNOW_PRESENT, SNOW_ABSENT, ("snow-covered", "snow-free")),
            "cloud": (CLOUDY, CLEAR, ("cloudy", "clear")),
        }[fact]
        word = _level(float(value), *thresholds)
        return None if word is None else Claim.of(fact, **{fact: word})
    if fact in ("season", "biome"):
        return Claim.of(fact, **{fact: attributes[fact]})
    if fact == "place":
        hemisphere = "northern" if float(attributes["lat"]) >= 0 else "southern"
        return Claim.of(fact, continent=attributes["continent"], hemisphere=hemisphere)
    raise EobenchError(f"unknown caption fact {fact!r} (known: {list(FACTS)})")


def derive_claims(attributes: Mapping) -> list[Claim]:
    """Every claim the attributes support, in :data:`FACTS` order."""
    return [c for c in (derive_fact(f, attributes) for f in FACTS) if c is not None]


def verify(claims: Sequence[Claim], attributes: Mapping) -> list[Claim]:
    """The claims that the attributes confirm; every other one is dropped."""
    return [c for c in claims if derive_fact(c.fact, attributes) == c]


#: Fact -> the field a wrong claim changes and the values it draws from.
_ALTERNATIVES: dict[str, tuple[str, tuple]] = {
    "land_cover": ("cover", CLASSES),
    "second_cover": ("cover", CLASSES),
    "terrain": ("terrain", TERRAINS),
    "water": ("water", ("open water", "no open water")),
    "snow": ("snow", ("snow-covered", "snow-free")),
    "season": ("season", SEASONS),
    "cloud": ("cloud", ("cloudy", "clear")),
    "biome": ("biome", BIOMES),
    "place": ("continent", CONTINENTS),
}


def wrong_claim(claim: Claim, rng: np.random.Generator) -> Claim:
    """``claim`` with its main field set to another value of the same fact."""
    field, domain = _ALTERNATIVES[claim.fact]
    choices = [v for v in domain if v != claim.get(field)]
    values = dict(claim.values)
    values[field] = choices[int(rng.integers(len(choices)))]
    return Claim.of(claim.fact, **values)


def corrupt(
    captions: Sequence[Sequence[Claim]], noise: float, rng: np.random.Generator
) -> list[list[Claim]]:
    """Exactly ``round(noise * total)`` of all claims, drawn uniformly, replaced by
    wrong ones (:func:`wrong_claim`); the rest unchanged."""
    if not 0.0 <= noise <= 1.0:
        raise EobenchError(f"caption_noise must lie in [0, 1] (got {noise})")
    flat = [(i, j) for i, claims in enumerate(captions) for j in range(len(claims))]
    chosen = rng.permutation(len(flat))[: round(noise * len(flat))]
    result = [list(claims) for claims in captions]
    for k in sorted(chosen):
        i, j = flat[k]
        result[i][j] = wrong_claim(result[i][j], rng)
    return result


def _display(field: str, value) -> str:
    if field in ("cover", "biome"):
        return str(value).replace("_", " ")
    return str(value)


def check_templates(templates: Mapping[str, Sequence[str]] | None, key: str):
    """The phrasings to use: the defaults with the config's per-fact lists on top; a fact
    the data lacks or a template naming a field the fact lacks is an error naming ``key``."""
    chosen = dict(DEFAULT_TEMPLATES)
    for fact, phrasings in (templates or {}).items():
        if fact not in FACT_FIELDS:
            raise EobenchError(
                f"config key {key}.{fact}: the data has no caption attribute {fact!r} "
                f"(attributes: {list(FACTS)})"
            )
        if not phrasings:
            raise EobenchError(f"config key {key}.{fact}: give at least one phrasing")
        for phrasing in phrasings:
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(phrasing) if f is not None}
            except ValueError as error:
                raise EobenchError(f"config key {key}.{fact}: {phrasing!r}: {error}") from None
            unknown = sorted(names - set(FACT_FIELDS[fact]))
            if unknown:
                raise EobenchError(
                    f"config key {key}.{fact}: template {phrasing!r} names attribute(s) "
                    f"{unknown} the data lacks (fields of {fact}: {list(FACT_FIELDS[fact])})"
                )
        chosen[fact] = tuple(phrasings)
    return chosen


def render(
    claims: Sequence[Claim], rng: np.random.Generator, templates: Mapping | None = None
) -> str:
    """One caption: each claim in a phrasing drawn from its fact's templates."""
    templates = templates or DEFAULT_TEMPLATES
    parts = []
    for claim in claims:
        phrasings = templates[claim.fact]
        phrasing = phrasings[int(rng.integers(len(phrasings)))]
        parts.append(phrasing.format(**{f: _display(f, v) for f, v in claim.values}))
    text = ", ".join(parts)
    return (text[:1].upper() + text[1:] + ".") if text else ""


def make_captions(
    records: Sequence[Mapping],
    *,
    noise: float,
    verified: bool,
    seed: int,
    templates: Mapping | None = None,
) -> list[str]:
    """Captions of attribute ``records``: derived, corrupted by ``noise``, verified
    (when ``verified``), rendered; the same seed gives the same captions."""
    rng = np.random.default_rng(seed)
    drafts = corrupt([derive_claims(r) for r in records], noise, rng)
    if verified:
        drafts = [verify(claims, r) for claims, r in zip(drafts, records, strict=True)]
    return [render(claims, rng, templates) for claims in drafts]


def attribute_records(store, rows: np.ndarray, continents: Sequence[str]) -> list[dict]:
    """The attribute record of each store row (module docstring): latents, acquisition
    season and biome of the ``mmearth`` family, and the samples' continents."""
    names, latents = store.latents()
    index = {n: i for i, n in enumerate(names)}
    values = latents[rows]
    seasons = store.read("acquisition_season", rows).reshape(len(rows)).astype(int)
    biomes = store.read("biome", rows).reshape(len(rows)).astype(int)
    records = []
    for k in range(len(rows)):
        season = SEASONS[seasons[k]]
        records.append(
            {
                "cover": {c: float(values[k, index[f"frac_{c}"]]) for c in CLASSES},
                "elevation_mean": float(values[k, index["elevation_mean"]]),
                "elevation_std": float(values[k, index["elevation_std"]]),
                "snow": float(values[k, index[f"snow_{season}"]]),
                "cloud": float(values[k, index[f"cloud_{season}"]]),
                "season": season,
                "biome": BIOMES[biomes[k]],
                "continent": str(continents[k]),
                "lat": float(values[k, index["lat"]]),
            }
        )
    return records
