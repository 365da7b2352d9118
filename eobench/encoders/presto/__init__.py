"""Presto (Tseng et al. 2023; nasaharvest/presto), pretrained pixel time-series encoder.

- :mod:`~eobench.encoders.presto.bands`: the network's channel order and token groups;
- :mod:`~eobench.encoders.presto.normalise`: input normalisation from physical units;
- :mod:`~eobench.encoders.presto.model`: the network and strict checkpoint loading;
- :mod:`~eobench.encoders.presto.encoder`: the eobench encoder ``presto``.
"""

from eobench.encoders.presto.encoder import Presto
from eobench.encoders.presto.model import PrestoModel, load_presto_checkpoint

__all__ = ["Presto", "PrestoModel", "load_presto_checkpoint"]
