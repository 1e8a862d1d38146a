"""Layer 2, the algebra: max(0, ·) and the indicator as SymPy functions of their own (:mod:`.functions`),
normal forms and the named rewrite rules (:mod:`.normal_form`), and exact evaluation at rational
points (:mod:`.evaluate`). It knows no loss and no derivation."""
