"""R3: distributed systems and observability."""
