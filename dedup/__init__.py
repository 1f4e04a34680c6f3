"""The text engine: extraction, normalization, fingerprints, clusters and passages (pure, no I/O)."""
