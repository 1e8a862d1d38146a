"""The version of symderiv."""

__version__ = "0.1.0"
