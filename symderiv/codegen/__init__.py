"""Layer 7, codegen: NumPy functions from symbolic results — ``lambdify`` with the indicator's
kink convention (:mod:`.lambdify`) and the vectorized loss-and-gradient generator (:mod:`.vectorize`)."""
