"""I/O: HDF5 results writer and the reader behind `bmu inspect`. Knows file layout, not biology."""
