"""R1: EXPLAIN-first data design."""
