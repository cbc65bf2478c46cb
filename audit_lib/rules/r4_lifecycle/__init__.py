"""R4: runtime coherence and resource lifecycle."""
