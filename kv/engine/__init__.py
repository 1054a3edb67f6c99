"""Storage engines: the interface (base), LMDB (production) and memory (unit tests)."""
