"""numba kernels: pure functions of arrays (no Mesa, no I/O). Each has a numpy twin in tests/kernels."""

from pathlib import Path as _Path

#: what `bmu run` and `bmu view` say before a first run's compile (the duration as bench_model.py measures it)
COLD_CACHE_HINT = ("first run on this machine: compiling the numba kernels (about a minute on 2 cores, once; "
                   "cached afterwards)")


def compiled_cache_is_warm() -> bool:
    """Whether numba has cached compiled kernels on this machine (`cache=True` writes `*.nbi` index files under
    NUMBA_CACHE_DIR when it is set, else next to the modules). Cold, the first run compiles for about a minute
    on 2 cores (`benchmarks/bench_model.py` measures it), once."""
    import numba

    folder = _Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else _Path(__file__).parent / "__pycache__"
    return folder.is_dir() and next(folder.rglob("*.nbi"), None) is not None
