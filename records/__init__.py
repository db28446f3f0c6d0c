"""The records domain, free of Flask: roles, record types, numbering, versions,
workflow, retention, audit. Every function that changes something takes the
actor explicitly.

The forms are declared in :mod:`records.forms` and registered explicitly
(``records.forms.register_all()``) by whoever starts the portal: importing a
module registers nothing."""
