"""bmu-engine: agent-based simulation of bone multicellular units (BMUs) and osteoporosis drugs."""

__version__ = "0.1.0"
