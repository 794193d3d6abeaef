"""Every `bench` command the README shows is one the command line accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bench.cli.app import build_parser
from bench.registry import load_registry

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> list[str]:
    blocks = re.findall(r"```\n(.*?)```", README.read_text(), flags=re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    commands = []
    for line in lines:
        for part in line.split("&&"):
            part = part.strip().removeprefix(".venv/bin/")
            if part.startswith("bench "):
                commands.extend(_alternatives(part))
    return commands


def _alternatives(command: str) -> list[str]:
    """`bench a | b` in the README lists subcommands a and b; `[...]` marks optional parts; `>` redirects."""
    command = re.sub(r"\[[^\]]*\]", "", command).split(" > ")[0]
    head, *rest = command.split(" | ")
    return [head] + [f"bench {alternative}" for alternative in rest]


@pytest.mark.parametrize("command", _commands())
def test_the_readme_command_parses(command):
    words = [word.replace("RUN_A", "a").replace("RUN_B", "b").replace("RUN", "r") for word in shlex.split(command)]
    build_parser(load_registry()).parse_args(words[1:])


def test_the_readme_shows_commands():
    assert len(_commands()) > 15
