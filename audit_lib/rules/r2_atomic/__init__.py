"""R2: atomic and transactional integrity."""
