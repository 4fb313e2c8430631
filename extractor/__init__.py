"""contract-extractor: make the implicit contracts between services explicit and checkable."""

__version__ = "0.1.0"
