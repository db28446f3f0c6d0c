"""Declarations: workflows name their state groups, transitions their values."""

from __future__ import annotations

import subprocess
import sys

import pytest

from records.i18n import N_
from records.roles import STAFF
from records.types import TypeDeclarationError, registry
from records.workflow import Transition, Workflow, void_step

STATES = {"open": N_("Open"), "closed": N_("Closed"), "void": N_("Void")}
CLOSE = Transition(
    name="close", label=N_("Close"), sources=("open",), target="closed", roles=(STAFF,)
)


def test_a_transition_is_declared_by_name_only():
    with pytest.raises(TypeError):
        Transition("close", N_("Close"), ("open",), "closed", (STAFF,))  # type: ignore[misc]


def test_a_state_group_names_known_states_and_known_groups():
    with pytest.raises(TypeDeclarationError, match="states"):
        Workflow("open", STATES, (CLOSE,), ("open",), groups={"finished": ("done",)})
    with pytest.raises(TypeDeclarationError, match="unknown state group"):
        Workflow("open", STATES, (CLOSE,), ("open",), groups={"nearly_done": ("closed",)})


def test_a_void_record_is_never_in_force_and_a_superseded_procedure_neither():
    plain = Workflow("open", STATES, (CLOSE, void_step("open")), ("open",))
    assert plain.group("not_in_force") == ("void",)
    assert plain.group("answered") == ()
    procedure = registry["procedure_document"].workflow
    assert set(procedure.group("not_in_force")) == {"superseded", "void"}
    complaint = registry["complaint_sheet"].workflow
    assert "replied" in complaint.group("answered") and "replied" in complaint.group("unresolved")
    assert "closed" not in complaint.group("unresolved")


def test_importing_the_domain_registers_no_type_until_asked():
    """The app factory, the command line and the tests register the forms;
    importing any records module (or the portal's) registers nothing."""
    script = (
        "import records.operations, records.attachments, records.worklists, portal.admin.site\n"
        "from records.types import registry\n"
        "assert not list(registry), [t.name for t in registry]\n"
        "from records.forms import ALL_TYPES, register_all\n"
        "register_all(); register_all()\n"
        "assert [t.name for t in registry] == [t.name for t in ALL_TYPES]\n"
        "print(len(list(registry)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "13"
