"""borderflow: a smart border gate node."""

__version__ = "0.1.0"
