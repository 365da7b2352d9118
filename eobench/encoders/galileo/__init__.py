"""Galileo (Tseng et al. 2025, nasaharvest/galileo, MIT): model, normaliser, eobench encoder.

- :mod:`.bands`: the four input tensors' bands, channel groups and units;
- :mod:`.normalise`: the training-time normaliser built from ``normalization.json``;
- :mod:`.inputs`: Galileo's inputs from the store's S1 and S2 L1C cubes;
- :mod:`.model`: the encoder network, its forward pass and token pooling;
- :mod:`.checkpoint`: strict loading of ``encoder.pt`` + ``config.json``;
- :mod:`.encoder`: the registered eobench encoder ``galileo``.
"""

from eobench.encoders.galileo.encoder import GalileoEncoder

__all__ = ["GalileoEncoder"]
