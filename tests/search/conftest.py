"""An index fed by the real records operations on the embedded database."""

from __future__ import annotations

import pytest

from records.i18n import N_
from records.roles import CONTROLLER, STAFF
from records.types import Field, RecordType, RetentionRule, registry
from records.workflow import Transition, Workflow
from search_index import Search, search
from tests.records.conftest import actor, complaint_org


@pytest.fixture(params=["tantivy", "whoosh"])
def engine(request):
    """Every search test runs against both engines: one contract."""
    return request.param


@pytest.fixture
def app_config(app_config, engine):
    return {**app_config, "SEARCH_ENGINE": engine}


@pytest.fixture
def store(app):
    return app.extensions["search_index"]


@pytest.fixture
def indexer(app):
    return app.extensions["search_indexer"]


@pytest.fixture
def find(store, indexer):
    """``find(actor, "words", **options)`` -> the numbers found, after indexing."""

    def run(who, text="", **options):
        indexer.drain()
        return [hit.key for hit in search(store, who, Search(text=text, **options)).hits]

    return run


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


CONTACT = RecordType(
    name="search_contact_probe",
    form_code="TEST/QR-999",
    edition="A/0",
    titles={"zh_Hans": "联系记录", "zh_Hant": "聯繫記錄", "en": "Contact"},
    numbering_pattern="QR-999-{year}-{seq:04}",
    title_field="title",
    fields=(
        Field("title", "string", N_("Title"), required=True),
        Field("details", "text", N_("Details")),
        Field("phone", "string", N_("Phone"), confidential=True),
    ),
    workflow=Workflow(
        initial="open",
        states={"open": N_("Open"), "closed": N_("Closed")},
        transitions=(
            Transition(
                name="close", label=N_("Close"), sources=("open",), target="closed", roles=(STAFF,)
            ),
        ),
        editable=("open",),
        events={"closed": "closed"},
    ),
    retention=RetentionRule(years=1),
    create_roles=(STAFF, CONTROLLER),
    edit_roles=(STAFF, CONTROLLER),
)


@pytest.fixture
def contact_type():
    """A type with a confidential field, for as long as one test runs."""
    registry.register(CONTACT)
    yield CONTACT
    registry._types.pop(CONTACT.name)


__all__ = ["actor", "complaint_org"]
