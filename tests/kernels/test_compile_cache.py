"""`compiled_cache_is_warm`: the hint `bmu run` and `bmu view` print before a first run's compile."""

import numba

from engine.kernels import compiled_cache_is_warm


def test_a_cache_dir_without_index_files_is_cold_and_one_with_them_is_warm(tmp_path, monkeypatch):
    # with NUMBA_CACHE_DIR set, numba reads and writes only there: the files next to the modules do not count
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    assert not compiled_cache_is_warm()
    (tmp_path / "kernels_abc").mkdir()
    (tmp_path / "kernels_abc" / "fields.dot-117.py311.nbi").write_bytes(b"")
    assert compiled_cache_is_warm()


def test_a_missing_cache_dir_is_cold(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "nowhere"))
    assert not compiled_cache_is_warm()
