"""Data stage: band metadata, the canonical Zarr store, labels and dataset builders."""
