"""SQL found in the audited code: finding it, normalising it, judging it."""
