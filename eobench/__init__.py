"""eobench: a reproducible benchmark of Earth-observation encoders.

The library is organised by workflow stage: :mod:`eobench.data` (synthetic and real
cubes, the canonical store, labels), :mod:`eobench.encoders`, :mod:`eobench.aggregation`,
:mod:`eobench.probes`, :mod:`eobench.metrics`, :mod:`eobench.scoring`, :mod:`eobench.plots`
and :mod:`eobench.tables`. Snakemake rules call into it through thin scripts.
"""

__version__ = "0.1.0"
