"""Releases: writing, the manifest, card, croissant, loading, verifying, diffing, publishing."""
