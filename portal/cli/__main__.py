"""``python -m portal.cli``: the web processes of `portal serve --workers N`
are started this way, with the interpreter that runs the parent."""

from portal.cli import main

main()
