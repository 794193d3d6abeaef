"""The `bench` command line: every subcommand, core or plugin, comes from the `bench_commands` hook.

Errors print as one line saying what went wrong and where; `--verbose` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from bench import __version__
from bench.cli import terminal
from bench.cli.options import add_source_groups, preparse
from bench.interrupts import reraise_interruption
from bench.pipeline import environment
from bench.registry import Registry, load_registry
from bench.specs import CommandSpec
from bench.text import shown


def core_commands() -> dict[str, CommandSpec]:
    """The core's commands alone: what the command line offers when the plugins cannot load."""
    from bench.cli.commands import bench_commands

    return {spec.name: spec for spec in bench_commands()}


def build_parser(registry: Registry | None = None) -> argparse.ArgumentParser:
    """The full parser: the registry's commands (the core's alone without one); the commands
    that read a source get every registered source's own flags."""
    parser = argparse.ArgumentParser(
        prog="bench", description="Benchmark CNNs that predict audio features from raw audio."
    )
    parser.add_argument("--version", action="version", version=f"audio-feature-bench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = registry.commands if registry is not None else core_commands()
    for spec in commands.values():
        p = sub.add_parser(spec.name, help=spec.description)
        spec.add_arguments(p)
        p.set_defaults(command_spec=spec)
        if spec.reads_source and registry is not None:
            add_source_groups(p, registry)
    return parser


def main(argv: list[str] | None = None) -> int:
    """`bench ARGS`: the exit code. Ctrl-C at any point, start-up included, ends in one line."""
    try:
        return _main(argv)
    except KeyboardInterrupt as stop:
        return interrupted(stop)


def _main(argv: list[str] | None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    environment.configure()
    argv = sys.argv[1:] if argv is None else argv
    console = terminal.console
    command, plugins = preparse(argv)
    try:
        registry, load_error = load_registry(plugins), None
    except Exception as exc:  # a plugin that cannot load, or two plugins that clash
        reraise_interruption(exc)
        registry, load_error = None, exc
    try:
        parser = build_parser(registry)
    except Exception as exc:  # two plugins' flags that clash
        reraise_interruption(exc)
        console.print(f"[red]error:[/] {shown(str(exc))}")
        return 1
    if load_error is not None and (command not in core_commands() or core_commands()[command].reads_source):
        console.print(f"[red]error:[/] {shown(str(load_error))}")
        return 1
    args = parser.parse_args(argv)
    args.command_argv = argv[argv.index(args.command) + 1 :]  # the command's own flags (--config merges under them)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return args.command_spec.run(args)
    except Exception as exc:
        reraise_interruption(exc)
        if getattr(args, "verbose", False):
            console.print_exception()
        console.print(f"[red]error:[/] {shown(str(exc))}")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def interrupted(stop: KeyboardInterrupt) -> int:
    """Ctrl-C or SIGTERM, said in one line: which run to resume (the runner names it), or that
    none had started; the exit code of the signal."""
    what = "Terminated" if isinstance(stop, Terminated) else "Interrupted"
    run_id = getattr(stop, "run_id", None)
    if run_id:
        then = f"Finished work is saved; continue with `bench run --resume {shown(run_id)}`."
    else:
        then = "No run had started; nothing was saved."
    terminal.console.print(f"[yellow]{what}.[/] {then}")
    return 143 if isinstance(stop, Terminated) else 130


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: workers stopped, finished work kept, a clean message."""


def _terminate(signum, frame) -> None:
    raise Terminated()
