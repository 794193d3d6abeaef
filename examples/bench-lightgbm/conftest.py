"""Lets the example's tests import bench_lightgbm from this folder when it is not installed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
