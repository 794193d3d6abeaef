"""The trial fork server's preload (imported there only, never elsewhere): it imports keras and
the backend once for every worker forked after, and makes the server die with the runner that
started it (PR_SET_PDEATHSIG), so a runner killed outright leaves no fork server behind."""

from bench.features.pool import die_with_parent
from bench.trial import quiet  # noqa: F401 - the import is the point: keras, loaded once

die_with_parent()
