"""The `bench` command line."""
