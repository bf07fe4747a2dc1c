"""Arabic enrichment: text folding, tags, places, the section model and its data."""
