"""`python -m bench.cli`."""

import sys

from bench.cli.app import main

sys.exit(main())
