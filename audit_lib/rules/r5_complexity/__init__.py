"""R5: algorithmic and asymptotic rigor."""
