"""dlspec: an executable specification of deep-learning math, and an audit of frameworks against it."""

from .impls.interface import BackendError, Unsupported

__version__ = "0.1.0"
__all__ = ["BackendError", "Unsupported", "__version__"]
