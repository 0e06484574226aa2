"""Text: normalisation, segmentation into sentences and tokens, tag schemes."""
