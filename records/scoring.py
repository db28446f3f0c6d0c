"""Customer satisfaction scoring (domain.md): S = sum of F x X over the
questionnaire's items, minus deductions for verified complaints; basically
satisfied at 70. Weights, coefficients, deductions and the threshold are
settings a controller may change; each change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from records import audit
from records.access import Actor
from records.errors import InvalidData, PermissionDenied
from records.i18n import N_
from records.roles import CONTROLLER
from records.store import database

ITEMS = 14
ITEM_FIELDS = tuple(f"item_{n:02d}" for n in range(1, ITEMS + 1))

#: The default items of the questionnaire and their weights (sum 100).
DEFAULT_ITEMS = (
    (N_("Accuracy of test reports and certificates"), 10),
    (N_("Timeliness of test reports and certificates"), 8),
    (N_("Service attitude"), 8),
    (N_("Professional competence of the staff"), 8),
    (N_("Response to requests"), 7),
    (N_("Handling of complaints"), 8),
    (N_("On-site service"), 7),
    (N_("Fees and charges"), 6),
    (N_("Information and communication"), 6),
    (N_("Convenience of procedures"), 6),
    (N_("Confidentiality of customer information"), 7),
    (N_("Facilities and environment"), 5),
    (N_("Product quality"), 7),
    (N_("Delivery"), 7),
)

#: The seven levels' default coefficients X, best first.
DEFAULT_COEFFICIENTS = {
    "very_satisfied": 1.0,
    "satisfied": 0.9,
    "fairly_satisfied": 0.8,
    "neutral": 0.7,
    "somewhat_dissatisfied": 0.5,
    "dissatisfied": 0.3,
    "very_dissatisfied": 0.0,
}


@dataclass(frozen=True)
class ScoringSettings:
    weights: tuple[float, ...] = tuple(w for _label, w in DEFAULT_ITEMS)
    coefficients: dict = field(default_factory=lambda: dict(DEFAULT_COEFFICIENTS))
    deduction: float = 5
    serious_deduction: float = 10
    threshold: float = 70
    #: The organisation's own wording of the items ("" = the default item).
    labels: tuple[str, ...] = ("",) * ITEMS

    def item_labels(self) -> dict[str, str]:
        """Field name -> the organisation's wording, where it set one."""
        return {name: label for name, label in zip(ITEM_FIELDS, self.labels, strict=True) if label}


def load_settings(db=None, session=None) -> ScoringSettings:
    db = db if db is not None else database()
    stored = db.scoring_settings.find_one({"_id": "questionnaire"}, session=session) or {}
    defaults = ScoringSettings()
    return ScoringSettings(
        weights=tuple(stored.get("weights") or defaults.weights),
        coefficients={**defaults.coefficients, **(stored.get("coefficients") or {})},
        deduction=stored.get("deduction", defaults.deduction),
        serious_deduction=stored.get("serious_deduction", defaults.serious_deduction),
        threshold=stored.get("threshold", defaults.threshold),
        labels=tuple(stored.get("labels") or defaults.labels),
    )


def save_settings(actor: Actor, settings: ScoringSettings, db=None) -> None:
    """A controller changes the scoring; the weights must add up to 100."""
    if not actor.has_role(CONTROLLER):
        raise PermissionDenied()
    if len(settings.weights) != ITEMS or any(w < 0 for w in settings.weights):
        raise InvalidData(N_("Give %(n)d weights of 0 or more."), field="weights", n=ITEMS)
    if abs(sum(settings.weights) - 100) > 1e-6:
        raise InvalidData(
            N_("The weights add up to %(total)s, not 100."),
            field="weights",
            total=f"{sum(settings.weights):g}",
        )
    if len(settings.labels) != ITEMS or any(len(label) > 120 for label in settings.labels):
        raise InvalidData(N_("An item's wording has at most 120 characters."), field="labels")
    if any(not 0 <= x <= 1 for x in settings.coefficients.values()):
        raise InvalidData(N_("Coefficients are between 0 and 1."), field="coefficients")
    db = db if db is not None else database()
    values = {
        "weights": list(settings.weights),
        "coefficients": settings.coefficients,
        "deduction": settings.deduction,
        "serious_deduction": settings.serious_deduction,
        "threshold": settings.threshold,
        "labels": [label.strip() for label in settings.labels],
    }
    db.scoring_settings.update_one({"_id": "questionnaire"}, {"$set": values}, upsert=True)
    audit.record_event(actor.username, "scoring_change", details=values)


@dataclass(frozen=True)
class Score:
    base: float
    deductions: float
    total: float
    basically_satisfied: bool
    answered: int


def score(
    answers: dict, verified_complaints: int, serious_complaints: int, settings: ScoringSettings
) -> Score:
    """The questionnaire's score. ``verified_complaints`` counts complaints
    verified as our responsibility; ``serious_complaints`` those among them
    about product quality, delivery or service (10 points instead of 5)."""
    base = 0.0
    answered = 0
    for weight, name in zip(settings.weights, ITEM_FIELDS, strict=True):
        level = answers.get(name)
        if level:
            answered += 1
            base += weight * settings.coefficients[level]
    serious = min(serious_complaints, verified_complaints)
    deductions = (verified_complaints - serious) * settings.deduction + (
        serious * settings.serious_deduction
    )
    total = round(max(base - deductions, 0.0), 1)
    return Score(round(base, 1), deductions, total, total >= settings.threshold, answered)
