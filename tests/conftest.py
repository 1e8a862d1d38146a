"""Test-session settings: symderiv's disk cache of proven generated NumPy (``symderiv.check.cache``) lives
in a temporary folder of this session, never in the user's ~/.cache (subprocesses inherit it)."""

import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="symderiv-test-cache-")
os.environ["SYMDERIV_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config):
    shutil.rmtree(_CACHE, ignore_errors=True)
