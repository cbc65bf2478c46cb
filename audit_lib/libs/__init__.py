"""Shared knowledge of the libraries the audited code uses (databases, HTTP clients).

Rules import these modules read-only; each one answers "what does this call do?" from
the syntax tree alone: nothing of the audited code is imported or executed.
"""
