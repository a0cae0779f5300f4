"""Synthetic sample documents with exact ground truth, for measuring the pipeline.

Run ``python -m samples.generate --help``; docs/samples.md describes the
corpus, the ground-truth format and the transports.
"""

GENERATOR_VERSION = "1.2"
"""Changes when the same seed gives other files. Version 1.1 chooses
handwriting fonts that draw every letter and gives a blank page of a scan
its file's request; 1.2 types letters such as "ń" in a font that has them."""
