"""numba kernels: pure functions of arrays (no Mesa, no I/O). Each has a numpy twin in tests/kernels."""

from pathlib import Path as _Path


def compiled_cache_is_warm() -> bool:
    """Whether numba has cached compiled kernels on this machine (`cache=True` writes `*.nbi` index files next
    to the modules, or under NUMBA_CACHE_DIR). Cold, the first run compiles for ~15-30 s, once."""
    import numba

    folders = [_Path(__file__).parent / "__pycache__"]
    if numba.config.CACHE_DIR:
        folders.append(_Path(numba.config.CACHE_DIR))
    return any(next(folder.rglob("*.nbi"), None) is not None for folder in folders if folder.is_dir())
