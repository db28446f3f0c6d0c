"""Workflows are data: states, the steps between them with the roles that
may take them, the steps most forms share (voiding, approving, sending
back for rework) declared once, and the follow-up records a form offers in
some of its states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from records.errors import TypeDeclarationError
from records.i18n import N_
from records.roles import APPROVER, CONTROLLER


@dataclass(frozen=True, kw_only=True)
class Transition:
    """A workflow transition: from some states to one, by some roles.

    Keyword-only: a declaration names what each value is."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    #: Fields that must have a value before the transition may be taken.
    required_fields: tuple[str, ...] = ()
    #: An electronic signature is required; its meaning (approved, verified,
    #: reviewed) is printed with it.
    signature: str | None = None
    comment_required: bool = False
    #: Fields the step asks for and saves with it (a reply's method and date).
    fields: tuple[str, ...] = ()
    #: Whether a record waiting for this step is on the actor's task list
    #: (False for corrections: voiding, dispatching again).
    task: bool = True


def void_step(*sources: str, roles: tuple[str, ...] = (CONTROLLER,)) -> Transition:
    """The step every form has: voiding a record from ``sources``, by a
    controller unless said otherwise, always with a comment saying why."""
    return Transition(
        name="void",
        label=N_("Void"),
        sources=sources,
        target="void",
        roles=roles,
        comment_required=True,
    )


def approval_step(
    *,
    name: str,
    label: str,
    sources: tuple[str, ...],
    target: str,
    required_fields: tuple[str, ...] = (),
) -> Transition:
    """An approver approves, signing it as "approved" (the signature the
    printed form shows)."""
    return Transition(
        name=name,
        label=label,
        sources=sources,
        target=target,
        roles=(APPROVER,),
        required_fields=required_fields,
        signature="approved",
    )


def rework_step(*, name: str, label: str, sources: tuple[str, ...], target: str) -> Transition:
    """An approver sends it back for rework, always with a comment saying
    what is to change."""
    return Transition(
        name=name,
        label=label,
        roles=(APPROVER,),
        comment_required=True,
        sources=sources,
        target=target,
    )


#: Named groups of states the procedures speak of, each declared by the
#: workflows it concerns (a complaint "answered" is replied, resolved or closed).
STATE_GROUPS = (
    "answered",  # the customer has had the answer
    "unresolved",  # still being handled: time raises a complaint's severity
    "finished",  # handled, whatever the customer said (counted as finished)
    "satisfied",  # the customer accepted the result
    "ended",  # handling ended: closed, or reopened on a new sheet
    "not_in_force",  # a printed record is for reference only
)


@dataclass(frozen=True)
class Workflow:
    initial: str
    states: dict[str, str]
    transitions: tuple[Transition, ...]
    #: States in which the record's fields can still be revised.
    editable: tuple[str, ...]
    #: State -> retention event that entering it starts ("closed", ...).
    events: dict[str, str] = field(default_factory=dict)
    #: Group name (one of STATE_GROUPS) -> its states. A void record is
    #: never in force: "not_in_force" is the void state unless declared.
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self):
        for name, states in self.groups.items():
            if name not in STATE_GROUPS:
                raise TypeDeclarationError(f"unknown state group {name!r}")
            unknown = [s for s in states if s not in self.states]
            if unknown:
                raise TypeDeclarationError(f"state group {name}: states {unknown}")

    def group(self, name: str) -> tuple[str, ...]:
        """The states of group ``name`` (none if this workflow has not the group)."""
        if name not in STATE_GROUPS:
            raise KeyError(name)
        if name == "not_in_force" and name not in self.groups:
            return ("void",) if "void" in self.states else ()
        return self.groups.get(name, ())

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def available(self, state: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state in t.sources)


@dataclass(frozen=True)
class FollowUpLink:
    """A record people raise from one of this type, offered on its page.

    Offered in the states of ``group`` (a workflow state group; None: in
    every state but void) to those who may create a ``type``; ``prefill``
    gives the new record's fields from (record, the data the reader may see,
    the reader)."""

    type: str
    label: str
    group: str | None = None
    prefill: Callable[[Any, dict, Any], dict] | None = None

    def offered_in(self, workflow: Workflow, state: str) -> bool:
        """Whether a record of ``workflow`` in ``state`` offers this link."""
        if self.group is None:
            return state != "void"
        return state in workflow.group(self.group)
