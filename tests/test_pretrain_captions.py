"""Captions from hand-made attributes: the claims derived, the verifier, caption_noise,
templates, and the word tokenizer."""

from __future__ import annotations

import numpy as np
import pytest

from eobench.errors import EobenchError
from eobench.pretraining.captions import (
    FACTS,
    Claim,
    check_templates,
    corrupt,
    derive_claims,
    make_captions,
    render,
    verify,
)
from eobench.pretraining.text import build_vocabulary, encode, words

#: A boreal lake tile in winter, snow on the ground, hand-made.
LAKE = {
    "cover": {"forest": 0.55, "cropland": 0.0, "grassland": 0.05, "urban": 0.0,
              "water": 0.30, "bare": 0.10, "snow_ice": 0.0},
    "elevation_mean": 240.0,
    "elevation_std": 12.0,
    "snow": 0.6,
    "cloud": 0.01,
    "season": "winter",
    "biome": "boreal_forest_taiga",
    "continent": "Europe",
    "lat": 61.5,
}  # fmt: skip
#: A dry mountain tile in summer, partly cloudy (no cloud claim), hand-made.
MOUNTAIN = {
    "cover": {"forest": 0.05, "cropland": 0.0, "grassland": 0.40, "urban": 0.0,
              "water": 0.05, "bare": 0.48, "snow_ice": 0.02},
    "elevation_mean": 2650.0,
    "elevation_std": 340.0,
    "snow": 0.0,
    "cloud": 0.12,
    "season": "summer",
    "biome": "montane_grassland_shrubland",
    "continent": "South America",
    "lat": -15.2,
}  # fmt: skip


def test_claims_derived_from_hand_made_attributes():
    assert derive_claims(LAKE) == [
        Claim.of("land_cover", cover="forest", share=60),
        Claim.of("second_cover", cover="water", share=30),
        Claim.of("terrain", terrain="flat", elevation=200),
        Claim.of("water", water="open water"),
        Claim.of("snow", snow="snow-covered"),
        Claim.of("season", season="winter"),
        Claim.of("cloud", cloud="clear"),
        Claim.of("biome", biome="boreal_forest_taiga"),
        Claim.of("place", continent="Europe", hemisphere="northern"),
    ]
    mountain = {c.fact: c for c in derive_claims(MOUNTAIN)}
    # 5 % water and 12 % cloud sit between the thresholds: not claimed either way
    assert "water" not in mountain and "cloud" not in mountain
    assert mountain["terrain"] == Claim.of("terrain", terrain="mountainous", elevation=2600)
    assert mountain["land_cover"].get("cover") == "bare"
    assert mountain["place"].get("hemisphere") == "southern"
    assert mountain["snow"] == Claim.of("snow", snow="snow-free")


def test_verifier_keeps_true_claims_and_drops_every_wrong_one():
    drafted = [
        Claim.of("land_cover", cover="forest", share=60),  # true
        Claim.of("land_cover", cover="cropland", share=60),  # wrong class
        Claim.of("second_cover", cover="water", share=40),  # wrong share
        Claim.of("terrain", terrain="mountainous", elevation=200),  # wrong terrain
        Claim.of("water", water="no open water"),  # wrong
        Claim.of("snow", snow="snow-covered"),  # true
        Claim.of("season", season="summer"),  # wrong
        Claim.of("cloud", cloud="clear"),  # true
        Claim.of("biome", biome="tundra"),  # wrong
        Claim.of("place", continent="Europe", hemisphere="southern"),  # wrong hemisphere
        Claim.of("place", continent="Europe", hemisphere="northern"),  # true
    ]
    assert verify(drafted, LAKE) == [drafted[0], drafted[5], drafted[7], drafted[10]]
    # a claim about an ambiguous attribute is not confirmed
    assert verify([Claim.of("water", water="open water")], MOUNTAIN) == []


def test_caption_noise_replaces_an_exact_share_of_claims_by_wrong_ones():
    records = [LAKE, MOUNTAIN] * 10
    drafts = [derive_claims(r) for r in records]
    total = sum(len(d) for d in drafts)
    noisy = corrupt(drafts, 0.3, np.random.default_rng(0))
    changed = [
        (c, r) for d, n, r in zip(drafts, noisy, records, strict=True)
        for a, c in zip(d, n, strict=True) if a != c
    ]  # fmt: skip
    assert len(changed) == round(0.3 * total)
    # every replacement is wrong: the verifier drops exactly those
    assert all(verify([c], r) == [] for c, r in changed)
    kept = sum(len(verify(n, r)) for n, r in zip(noisy, records, strict=True))
    assert kept == total - len(changed)
    assert corrupt(drafts, 0.0, np.random.default_rng(0)) == drafts
    with pytest.raises(EobenchError, match="caption_noise"):
        corrupt(drafts, 1.5, np.random.default_rng(0))


def test_verified_noisy_captions_hold_only_true_statements_and_unverified_do_not():
    records = [LAKE, MOUNTAIN] * 20
    clean = make_captions(records, noise=0.0, verified=True, seed=1)
    grounded = make_captions(records, noise=0.5, verified=True, seed=1)
    unverified = make_captions(records, noise=0.5, verified=False, seed=1)
    assert make_captions(records, noise=0.5, verified=False, seed=1) == unverified
    # wrong seasons appear only in unverified captions of the lake (always winter)
    lakes = range(0, len(records), 2)
    wrong = ("spring", "summer", "fall")
    assert not any(w in grounded[i] for i in lakes for w in wrong)
    assert any(w in unverified[i] for i in lakes for w in wrong)
    assert all("winter" in clean[i] for i in lakes)
    # verification drops claims: grounded captions are shorter than unverified ones
    assert sum(map(len, grounded)) < sum(map(len, unverified))


def test_several_phrasings_per_fact():
    claims = derive_claims(LAKE)
    captions = {render(claims, np.random.default_rng(s)) for s in range(20)}
    assert len(captions) > 10
    for caption in captions:
        assert caption[0].isupper() and caption.endswith(".")


def test_templates_from_config_and_their_errors():
    templates = check_templates({"season": ["in {season}"]}, "pretraining.captions.templates")
    assert templates["season"] == ("in {season}",)
    text = render([Claim.of("season", season="fall")], np.random.default_rng(0), templates)
    assert text == "In fall."
    with pytest.raises(EobenchError, match=r"templates\.season: template .* names .*\['slope'\]"):
        check_templates({"season": ["{slope} ground"]}, "pretraining.captions.templates")
    with pytest.raises(EobenchError, match=r"templates\.soil: the data has no caption attribute"):
        check_templates({"soil": ["{ph}"]}, "pretraining.captions.templates")
    assert set(check_templates(None, "k")) == set(FACTS)


def test_word_tokenizer():
    assert words("Mostly forest (60 %), snow-covered.") == [
        "mostly", "forest", "60", "%", "snow", "covered",
    ]  # fmt: skip
    vocabulary = build_vocabulary(["a b", "b c"])
    assert vocabulary == ["<pad>", "<unk>", "a", "b", "c"]
    ids = encode(["c a z", "a b c a b"], vocabulary, 4)
    assert ids.tolist() == [[4, 2, 1, 0], [2, 3, 4, 2]]
