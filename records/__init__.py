"""The records domain, free of Flask: roles, record types, numbering, versions,
workflow, retention, audit. Every function that changes something takes the
actor explicitly."""
