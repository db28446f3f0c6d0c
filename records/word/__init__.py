"""Word (and Excel) output: forms, blank forms, registers and controller templates.

A record (or one of its versions) and its type's declared layout become a
.docx whose header carries the form code, edition and record number. Nothing
is stored: a generated file is handed to the user, and the download is
audited by the caller.
"""
