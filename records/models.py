"""How records are stored. Reads go through these documents; every write goes
through :mod:`records.operations`, in one transaction with its audit and
outbox entries."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    DynamicField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)


class Record(Document):
    """The current state of a record (its latest version)."""

    type = StringField(required=True)
    number = StringField(required=True, unique=True)
    year = IntField(required=True)
    seq = IntField(required=True)
    version = IntField(required=True)
    state = StringField(required=True)
    title = StringField()
    data = DictField()
    department = StringField()
    created_by = StringField()
    created_at = DateTimeField()
    updated_by = StringField()
    updated_at = DateTimeField()
    attachments = ListField(DictField())
    signatures = ListField(DictField())
    history = ListField(DictField())
    holds = ListField(DictField())
    retention_starts_at = DateTimeField()
    retention_ends_on = DateTimeField()
    lock = DictField()
    # The edition of the form in force when the record was created.
    form_code = StringField()
    edition = StringField()
    # Kept from the data by the operations (see operations.derived_fields):
    # who handles it, who may see it besides the department, which records it
    # refers to, what is due when (UTC) and whether the calendar covered it.
    handler = StringField()
    people = ListField(StringField())
    refs = ListField(StringField())
    flags = DictField()
    due_at = DateTimeField()
    due_kind = StringField()
    due_uncovered = ListField(IntField())
    # What the record adds to the measures' counts (records.measures.keep).
    measure = DictField(null=True)

    meta = {
        "collection": "records",
        "auto_create_index": False,
        "indexes": [
            # List pages sort by these within a type; all are indexed.
            ("type", "-updated_at"),
            ("type", "-number"),
            ("type", "state", "-updated_at"),
            # My tasks: a state's records by deadline (records.worklists).
            ("type", "state", "due_at"),
            ("people", "state"),
            ("department", "state"),
            ("type", "department", "-updated_at"),
            ("type", "created_by", "-updated_at"),
            ("retention_ends_on",),
            ("people", "due_at"),
            ("department", "due_at"),
            ("due_at",),
            ("refs",),
            ("type", "data.received_at"),
            ("type", "state", "data.received_at"),
            # What staff see of the register (records.worklists).
            ("type", "department", "data.received_at"),
            ("people", "type", "data.received_at"),
        ],
    }

    def __str__(self) -> str:
        return f"{self.number} {self.title or ''}".strip()


class RecordVersion(Document):
    """One immutable version of a record."""

    record_id = ObjectIdField(required=True)
    number = StringField(required=True)
    type = StringField(required=True)
    version = IntField(required=True)
    state = StringField()
    title = StringField()
    data = DictField()
    department = StringField()
    attachments = ListField(DictField())
    operation = StringField()
    changed_by = StringField()
    changed_by_name = StringField()
    changed_at = DateTimeField()
    reason = StringField()
    changes = ListField(DictField())
    hash = StringField()
    mac = StringField()  # HMAC of the hash under the audit key (records.audit.seal)

    meta = {
        "collection": "record_versions",
        "auto_create_index": False,
        "indexes": [
            {"fields": ("record_id", "version"), "unique": True},
            ("number", "version"),
            ("changed_at",),
        ],
    }


class AuditEntry(Document):
    """One entry of the append-only, hash-chained audit trail."""

    seq = IntField(required=True, unique=True)
    at = DateTimeField(required=True)
    actor = StringField()
    action = StringField(required=True)
    record_type = StringField()
    number = StringField()
    version = IntField()
    details = DynamicField()
    prev_hash = StringField()
    hash = StringField()
    mac = StringField()  # HMAC of the hash under the audit key (records.audit.seal)

    meta = {
        "collection": "audit",
        "auto_create_index": False,
        "ordering": ["-seq"],
        "indexes": [("number", "-seq"), ("actor", "-seq"), ("action", "-seq"), ("at",)],
    }


class OutboxEntry(Document):
    """A change for the search indexes, numbered in commit order (``seq``);
    each index keeps the number it has applied up to."""

    seq = IntField()
    record_id = ObjectIdField()
    number = StringField()
    version = IntField()
    op = StringField()
    at = DateTimeField()

    meta = {
        "collection": "search_outbox",
        "auto_create_index": False,
        # Entries of older portals still carry their applied_at flag.
        "strict": False,
        "indexes": ["seq", "at"],
    }


class TypeSettings(Document):
    """What a controller may change about a type: edition, numbering, retention."""

    type = StringField(primary_key=True)
    edition = StringField()
    numbering_pattern = StringField()
    retention_years = IntField()
    revision = IntField(default=0)
    updated_by = StringField()
    updated_at = DateTimeField()
    history = ListField(DictField())

    meta = {"collection": "type_settings", "auto_create_index": False}


class DisposalCertificate(Document):
    """The kept trace of a disposed record."""

    number = StringField(required=True, unique=True)
    type = StringField()
    title = StringField()
    created_at = DateTimeField()
    retention_starts_at = DateTimeField()
    retention_ends_on = DateTimeField()
    disposed_at = DateTimeField()
    approved_by = StringField()
    approved_by_name = StringField()
    reason = StringField()
    versions = IntField()
    attachments = ListField(DictField())
    last_version_hash = StringField()
    is_void = BooleanField(default=False)

    meta = {
        "collection": "disposal_certificates",
        "auto_create_index": False,
        "ordering": ["-disposed_at"],
    }


class MailMessage(Document):
    """One e-mail to one person, queued with the change that calls for it
    (see :mod:`records.notifications`) and sent by the portal's mail worker."""

    key = StringField(required=True)
    #: The notice the message is one of (the key without its recipient).
    notice = StringField()
    kind = StringField()
    username = StringField()
    to = StringField()
    locale = StringField()
    params = DictField()
    record_id = ObjectIdField()
    status = StringField()
    attempts = IntField()
    created_at = DateTimeField()
    next_try_at = DateTimeField()
    claimed_until = DateTimeField()
    sent_at = DateTimeField()
    last_error = StringField()

    meta = {
        "collection": "mail_outbox",
        "auto_create_index": False,
        # The key makes each notice once: a deadline scanned by two workers,
        # or twice by one, inserts one message.
        "indexes": [
            {"fields": ["key"], "unique": True},
            ("notice",),
            ("status", "next_try_at"),
            ("-created_at",),
        ],
    }


DOCUMENTS = (
    Record,
    RecordVersion,
    AuditEntry,
    OutboxEntry,
    TypeSettings,
    DisposalCertificate,
    MailMessage,
)
