"""The records domain, free of Flask: roles, record types, numbering, versions,
workflow, retention, audit. Every function that changes something takes the
actor explicitly."""

# Declaring the forms registers them; everything else imports from submodules.
import records.forms  # noqa: E402, F401
