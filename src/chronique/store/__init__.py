"""The repository on disk: raw readers, records, annotation files, split registry, safe paths."""
