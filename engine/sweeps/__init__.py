"""Parameter sweeps and global sensitivity analysis over scenario keys (`bmu sweep`)."""
