"""The glibc hooks of sealer_controller.memory are found in-process (no ctypes.util), and do nothing elsewhere."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
from sealer_controller import memory

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the hooks are glibc's")


@glibc
def test_glibc_hooks_are_found_and_trim_runs() -> None:
    assert memory._libc() is not None
    memory.trim()  # returns whether memory was released; it must simply work


@glibc
def test_limiting_arenas_is_accepted_in_a_fresh_process() -> None:
    code = ("from sealer_controller import memory; import sys; "
            "print(memory.limit_arenas(), 'ctypes.util' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]
