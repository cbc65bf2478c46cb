"""T: types (money and time)."""
