"""Rendering one audit result: text, JSON, SARIF, notebook tables, HTML and PDF."""
