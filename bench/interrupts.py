"""Ctrl-C where Python would lose it: raised inside `os.fork`'s at-fork hooks it is printed and
dropped, and raised inside a library's import it can surface as another error (pybind11 turns
it into `ImportError: initialization failed`). Code that forks defers it, and every
`except Exception` in the core first re-raises a Ctrl-C hidden in the error. Programs the runner
starts never see a Ctrl-C: it is the runner's to handle."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def interruption(error: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt (SIGTERM's subclass included) behind `error`, or None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def reraise_interruption(error: BaseException) -> None:
    """Raise the Ctrl-C behind `error`, if there is one; otherwise return."""
    stop = interruption(error)
    if stop is not None:
        raise stop from None


@contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Ctrl-C held while the block forks children, then acted on as it would have been. A child
    forked inside only notes a Ctrl-C until it sets its own handling (the workers ignore it)."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread handles signals
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed:
            _deliver(previous)


@contextmanager
def ctrl_c_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread while the block starts a program: the program inherits the
    mask and never sees Ctrl-C (interrupted while importing, it would print a traceback); this
    process still acts on a Ctrl-C, at the block's end at the latest."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _deliver(handler) -> None:
    """What SIGINT would have done under `handler`."""
    if callable(handler):
        handler(signal.SIGINT, None)
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signal.SIGINT)
