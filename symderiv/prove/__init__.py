"""Layer 6, prove: the claims of a concrete derivation (:mod:`.claims`) and the proof or refutation
of a formula derived by hand (:mod:`.verify`)."""
