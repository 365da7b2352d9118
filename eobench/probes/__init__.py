"""Probes: models trained on frozen embeddings over K random train/test splits.

Import the modules themselves (``eobench.probes.linear``, ...): this package imports
nothing, so that the workflow can read :mod:`eobench.probes.keys` without torch.
"""
