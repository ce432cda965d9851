"""numba kernels: pure functions of arrays (no Mesa, no I/O). Each has a numpy twin in tests/kernels."""
