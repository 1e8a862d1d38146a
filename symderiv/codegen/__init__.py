"""Layer 7, codegen: NumPy functions from symbolic results — ``lambdify`` with the indicator's
kink convention (:mod:`.lambdify`), the NumPy route behind ``Derivation.numpy_gradient``/``numpy_loss``
(:mod:`.numpy_route`: printed score functions, then the max shift and the chain rule in NumPy) and the
vectorized loss-and-gradient generator (:mod:`.vectorize`)."""
