"""The trial fork server's preload (imported there only, never elsewhere): it imports keras and
the backend once for every worker forked after, and makes the server die with the runner that
started it (PR_SET_PDEATHSIG), so a runner killed outright leaves no fork server behind. It
ignores Ctrl-C from its first line, as the server's own loop does after the preload."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C while keras loads is the runner's to handle, not a traceback here

from bench.features.pool import die_with_parent  # noqa: E402
from bench.trial import quiet  # noqa: E402, F401 - the import is the point: keras, loaded once

die_with_parent()
