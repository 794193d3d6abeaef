"""A plugin's native start-up noise stays off stderr; its Python messages do not."""

from __future__ import annotations

import os
import sys
import textwrap

from bench.native_stderr import silenced
from bench.registry import forget_registries, load_registry


def test_native_writes_are_dropped_and_python_writes_kept(capfd):
    with silenced():
        os.write(2, b"native noise\n")
        print("python message", file=sys.stderr)
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "native noise" not in err
    assert "python message" in err and "after" in err


def test_a_plugin_file_importing_a_noisy_library_leaves_stderr_clean(tmp_path, capfd):
    plugin = tmp_path / "noisy_plugin_for_test.py"
    plugin.write_text(
        textwrap.dedent(
            """
            import os, sys
            os.write(2, b"I0000 absl start-up line\\n")
            print("warning: from the plugin itself", file=sys.stderr)
            """
        )
    )
    forget_registries()
    try:
        load_registry([str(plugin)])
    finally:
        forget_registries()
        sys.modules.pop(plugin.stem, None)
    err = capfd.readouterr().err
    assert "absl start-up line" not in err
    assert "warning: from the plugin itself" in err
