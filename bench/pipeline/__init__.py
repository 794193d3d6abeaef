"""A run: the grid of trials, where they execute, provenance and tuning."""
