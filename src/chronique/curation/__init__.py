"""Growing the gold: pre-annotation, re-anchoring, agreement and adjudication."""
