"""Every check: the catalogue of ids, and the document, corpus and card checks."""
