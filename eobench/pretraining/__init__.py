"""Self-supervised pretraining as stages of the DAG (GeoMeld, MMEarth, SSL4EO-S12).

- :mod:`~eobench.pretraining.masking`: patchify, random patch masks with exact ratios,
  disjoint context and target masks (JEPA);
- :mod:`~eobench.pretraining.losses`: MAE loss on masked patches, symmetric InfoNCE, the
  EMA teacher update, multi-pretext reconstruction (MSE / cross-entropy, masked where
  missing);
- :mod:`~eobench.pretraining.captions`: captions from the generative truth by templates,
  their verifier and ``caption_noise``;
- :mod:`~eobench.pretraining.text`: the word tokenizer and the small text transformer;
- :mod:`~eobench.pretraining.backbones`: the ViT and the ConvNeXt-V2-style backbone;
- :mod:`~eobench.pretraining.methods`: one module per method (MAE, MP-MAE, JEPA, ITC,
  GeoMeld-FM, seasonal contrastive, random init) behind a registry;
- :mod:`~eobench.pretraining.data`: the tensors a run reads from the store;
- :mod:`~eobench.pretraining.train`: the seeded, resumable training loop and its curves;
- :mod:`~eobench.pretraining.checkpoint`: checkpoints with metadata, and the backbone of
  a checkpoint checked against the inputs it is used with;
- :mod:`~eobench.pretraining.evaluate`: linear probes and image-text retrieval.
"""
