"""One error base class for everything symderiv refuses, so front ends can catch one thing."""


class SymderivError(Exception):
    """Base class of every error symderiv raises on purpose. Its message is one clear line."""


class InputError(SymderivError, ValueError):
    """The caller's input is unusable: unknown loss, bad size, labels out of range, bad convention."""


class TooLargeError(InputError):
    """The requested concrete size would take too long to derive; the message says what fits."""


class NotSupportedError(SymderivError):
    """The input is well formed but names something symderiv does not support."""


class ProofError(SymderivError):
    """A derivation step that must hold (two routes agreeing, a closed form) did not."""
