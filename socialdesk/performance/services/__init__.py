"""Performance services: returns (entry, validation, review workflow) and attainment."""
