"""Every claim symderiv produces carries a stable id from the one table ``CLAIM_IDS``, unique within
its derivation, and ``Derivation.claim(id)`` finds it."""

from __future__ import annotations

import itertools

import pytest

import symderiv
from symderiv import InputError
from symderiv.derive.result import CLAIM_IDS
from symderiv.losses import builtin_names
from symderiv.report.content import report_evidence

CONVENTIONS = list(itertools.product(("XW", "WX"), (False, True), ("l2", "half-l2", "none"), ("mean", "sum")))


def _check_ids(claims):
    ids = [c.id for c in claims]
    assert all(ids), [c.statement for c in claims if not c.id]
    assert set(ids) <= set(CLAIM_IDS), set(ids) - set(CLAIM_IDS)
    assert len(ids) == len(set(ids)), ids


def test_the_table_is_kebab_case_and_namespaced():
    for key, meaning in CLAIM_IDS.items():
        namespace, _, name = key.partition(".")
        assert namespace and name, key
        assert all(part.replace("-", "").isalnum() and part == part.lower() for part in key.split(".")), key
        assert meaning.strip()


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.parametrize(("layout", "bias", "regularizer", "reduction"), CONVENTIONS)
def test_every_concrete_claim_has_a_known_unique_id(name, layout, bias, regularizer, reduction):
    d = symderiv.derive(name, D=2, C=3, N=2, layout=layout, bias=bias, regularizer=regularizer, reduction=reduction)
    d.check_numeric()
    d.check_numeric(seed=1)  # a second check replaces the first: ids stay unique
    _check_ids(d.claims)
    for c in list(d.claims):
        found = d.claim(c.id)
        assert (found.id, found.statement, found.holds) == (c.id, c.statement, c.holds)


@pytest.mark.parametrize("name", builtin_names())
@pytest.mark.parametrize(("layout", "bias"), [("XW", False), ("WX", True)])
def test_every_symbolic_size_claim_has_a_known_unique_id(name, layout, bias):
    g = symderiv.derive(name, layout=layout, bias=bias, regularizer="half-l2")
    _check_ids(g.claims)
    assert g.claim("symbolic.matrix-form").holds
    concrete = g.at(D=2, C=3, N=2)
    _check_ids(concrete.claims)
    inst = concrete.claim("symbolic.instantiation")
    assert inst.holds and inst.lhs.shape == inst.rhs.shape == (2, 3)


def test_report_claims_have_ids():
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    _check_ids([e.claim for e in report_evidence(d)])


def test_unknown_id_is_a_clear_input_error():
    d = symderiv.derive("hinge", D=2, C=3, N=2)
    with pytest.raises(InputError, match="closed-form.per-element"):
        d.claim("no.such-claim")
    with pytest.raises(InputError, match="symbolic.cases"):
        symderiv.derive("hinge").claim("closed-form.per-element")


def test_two_sided_claims_carry_the_compared_expressions():
    d = symderiv.derive("hinge", D=2, C=3, N=2, y=[0, 2])
    per_element = d.claim("closed-form.per-element")
    assert per_element.lhs == d.score_gradient  # the derived G against the closed form's G
    assert per_element.rhs.shape == (2, 3)
    routes = d.claim("derivative.routes-agree")
    assert routes.lhs == d.gradient_direct
    assert routes.rhs == d.gradient  # built on demand by the lookup
    assert d.claim("artifact.matrix-form").lhs == d.matrix_form  # proven at the derivation's own (small) size
