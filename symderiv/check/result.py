"""The result of a check: verdict, diagnoses in words, matched conventions, discrepancies, probes —
rendered as a short human report or as one JSON object."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

REGULARIZER_TEXT = {
    "l2": ("λΣW²", "2λW"),
    "half-l2": ("½λΣW²", "λW"),
    "none": ("no regularizer", "0"),
}


@dataclass(frozen=True)
class Diagnosis:
    """One finding: ``id`` names the rule, ``message`` says it to a student, ``where`` locates it
    (probes, entries, values, the symbolic truth of the worst entry)."""

    id: str
    message: str
    where: str = ""
    probes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message + (f" [{self.where}]" if self.where else "")


@dataclass(frozen=True)
class Discrepancy:
    """One entry of dW (or the loss, index None) that is outside the accepted interval."""

    probe: str
    index: tuple[int, int] | None  # (row, column) of dW in the user's layout; None for the loss
    yours: float
    truth: float
    lower: float
    upper: float

    @property
    def error(self) -> float:
        return max(self.lower - self.yours, self.yours - self.upper, 0.0)


@dataclass(frozen=True)
class ProbeReport:
    name: str
    description: str
    status: str  # "ok", "wrong", "raised", "timeout", …
    seconds: float


@dataclass
class CheckResult:
    """What ``check_gradient`` found. ``verdict`` is "pass" or "fail"; ``regularizer`` is the
    convention that matched ("l2" for λΣW², "half-l2" for ½λΣW², "none"), None when none did.
    ``bool(result)`` is True when it passed; ``str(result)`` is the human report."""

    verdict: str
    function: str
    loss: str
    layout: str
    delta: float
    regularizer: str | None
    regularizer_requested: str
    reduction: str = "mean"
    diagnoses: list[Diagnosis] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    probes: list[ProbeReport] = field(default_factory=list)
    tolerances: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    printed: str = ""
    notes: list[str] = field(default_factory=list)
    #: "linear" for f(W, X, y, reg) -> (loss, dW), "layer" for f(x, y) -> (loss, dx)
    signature: str = "linear"
    #: yours − truth of dW at the worst probe ({"probe", "sizes", "difference", "rows"}), for the picture
    heatmap: dict | None = field(default=None, repr=False, compare=False)
    hyper: dict = field(default_factory=dict)  # the loss's own hyperparameters the check used

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def conventions(self) -> dict:
        return {
            "layout": self.layout,
            "regularizer": self.regularizer,
            "delta": self.delta,
            "reduction": self.reduction,
            **({"hyper": self.hyper} if self.hyper else {}),
        }

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "function": self.function,
            "loss": self.loss,
            "diagnoses": [str(d) for d in self.diagnoses],
            "regularizer": self.regularizer,
            "layout": self.layout,
            "delta": self.delta,
            "conventions": self.conventions,
            "regularizer_requested": self.regularizer_requested,
            "findings": [asdict(d) for d in self.diagnoses],
            "discrepancies": [{**asdict(d), "index": list(d.index) if d.index else None} for d in self.discrepancies],
            "probes": [asdict(p) for p in self.probes],
            "tolerances": self.tolerances,
            "seconds": self.seconds,
            "notes": self.notes,
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=_plain)

    def report(self) -> str:
        """The short human report."""
        head = f"{self.function}: {self.loss}, layout {self.layout}, Δ = {self.delta:g}"
        grad = "dW"
        if self.signature == "layer":
            head = f"{self.function}: {self.loss} layer f(x, y) -> (loss, dx), x the N×C scores, Δ = {self.delta:g}"
            grad = "dx"
        head += "".join(f", {name} = {value:g}" for name, value in self.hyper.items())
        lines = []
        if self.passed:
            reg = REGULARIZER_TEXT[self.regularizer or "none"]
            lines.append(f"PASS  {head}")
            lines.append(
                (
                    f"  conventions matched: regularizer {self.regularizer} ({reg[0]}, gradient {reg[1]}), "
                    if self.signature != "layer"
                    else "  conventions matched: "
                )
                + f"loss and {grad} "
                + ("averaged over the N samples" if self.reduction == "mean" else "summed over the samples")
            )
        else:
            lines.append(f"FAIL  {head}")
            if self.regularizer and self.signature != "layer":
                lines.append(
                    f"  regularizer: {self.regularizer} ({REGULARIZER_TEXT[self.regularizer][0]}) fits part "
                    "of what your function returns"
                )
            for d in self.diagnoses:
                lines.append(f"  - {d.message} [{d.id}]")
                if d.where:
                    lines.extend(f"      {w}" for w in d.where.split("\n"))
        ok = sum(p.status == "ok" for p in self.probes)
        lines.append(
            f"  probes: {ok} of {len(self.probes)} right — "
            + ", ".join(p.name + ("" if p.status == "ok" else f" ({p.status})") for p in self.probes)
        )
        lines.append(
            f"  truth: {self.tolerances.get('truth', 'the derivation')}; tolerance: "
            + (self.tolerances.get("text", "").replace("dW", grad))
        )
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.printed.strip() and not self.passed:
            tail = self.printed.strip().splitlines()[-5:]
            lines.append("  your function printed (last lines): " + " | ".join(tail)[:300])
        if self.seconds:
            lines.append("  time: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items()))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def _repr_html_(self) -> str:
        """Jupyter's display: a heatmap of yours − truth of dW over (feature, class) at the worst
        probe (inline SVG, drawn with matplotlib only now), then the report, HTML-escaped."""
        from .picture import result_html

        return result_html(self.report(), self.heatmap)


def _plain(value: object) -> object:
    try:
        return float(value)  # type: ignore[arg-type]  # NumPy scalars; anything else is refused below
    except (TypeError, ValueError):
        return str(value)
