"""The declared record types. Importing this package registers them all."""

from records.forms import handover_log, procedure_document  # noqa: F401
