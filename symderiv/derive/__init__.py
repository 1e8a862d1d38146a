"""Layer 5, derive: build the problem (:mod:`.build`), differentiate it by two routes
(:mod:`.differentiate`), simplify toward the notes' closed forms (:mod:`.concrete`,
:mod:`.closed_form`), the same at symbolic size (:mod:`.generic`), and the result as data
(:mod:`.result`: ``Derivation``, ``DerivationStep``, ``Claim``)."""
