"""Layer 4, render: expressions printed in the notes' notation — plain text (:mod:`.text`,
:mod:`.notation`), LaTeX (:mod:`.notation`, :mod:`.latex`) — and a derivation as terminal text
(:mod:`.text_report`). It sits below :mod:`symderiv.derive` because a derivation's steps carry their
LaTeX from construction and a result prints itself through it; it reads derivations by their public
attributes and imports nothing of derive."""
