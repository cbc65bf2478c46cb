"""posture-audit: audit a Python backend and its PostgreSQL database."""

__version__ = "0.1.0"
