"""The `bench` command line: `app` builds the parser from the `bench_commands` hook and runs a
command; `commands/` holds the core's own commands, one module per group; `arguments` holds the
argument groups and the run configuration they share (also for plugins' commands)."""
