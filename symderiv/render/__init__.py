"""Layer 4, render: expressions printed in the notes' notation by ONE printer family
(:mod:`.notation`: terminal text, LaTeX for reports, comments in generated code, with the notation as
settings of the printer), and a derivation as terminal text (:mod:`.text_report`). It sits below
:mod:`symderiv.derive` because a result prints itself through it; it reads derivations by their
public attributes (fields and ``matrix_expression``) and imports nothing of derive."""
