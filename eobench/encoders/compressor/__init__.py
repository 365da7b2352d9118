"""The NeuCo-Bench neural compressor: Ballé's factorized-prior autoencoder.

- :mod:`~eobench.encoders.compressor.entropy`: the entropy bottleneck (learned
  factorized density, noise in training, rounding around the medians in evaluation);
- :mod:`~eobench.encoders.compressor.gdn`: GDN and its inverse;
- :mod:`~eobench.encoders.compressor.model`: the autoencoder and its ``R + lambda D`` loss;
- :mod:`~eobench.encoders.compressor.train`: seeded, resumable training;
- :mod:`~eobench.encoders.compressor.encoder`: the ``compressor`` encoder (latent
  embeddings);
- :mod:`~eobench.encoders.compressor.rate_distortion`: bits per pixel and PSNR of the
  compressor and of JPEG2000 on the test images (paper Fig. 11).
"""
