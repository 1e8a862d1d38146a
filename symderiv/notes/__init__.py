"""Verify the notes people write: find the math in Markdown or LaTeX, parse it with a grammar
(``grammar.lark``), give its names a meaning from the note's own definitions, and prove or refute
each claim against symderiv's derivations.

>>> import symderiv
>>> note = r'''
... $$L_i = \\sum_{j \\ne y_i} \\max(0, s_j - s_{y_i} + \\Delta)$$
...
... $$\\frac{\\partial L_i}{\\partial s_{y_i}} = \\sum_{j \\ne y_i} \\mathbb{1}(s_j - s_{y_i} + \\Delta > 0)$$
... '''
>>> [(c.line, c.verdict) for c in symderiv.verify_notes(note).claims]
[(4, 'refuted')]
"""

from .note import ClaimResult, NotesResult, verify_notes

__all__ = ["ClaimResult", "NotesResult", "verify_notes"]
