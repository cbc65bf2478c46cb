"""The rules, one module each, grouped by operating rule (R1-R5) and types (T)."""
