"""Synthetic sample documents with exact ground truth, for measuring the pipeline.

Run ``python -m samples.generate --help``; docs/samples.md describes the
corpus, the ground-truth format and the transports.
"""

GENERATOR_VERSION = "1.0"
