"""The ``portal`` command: serve the portal, manage users and API tokens."""

from __future__ import annotations

import _thread
import contextlib
import fcntl
import logging
import os
import secrets
import signal
import sys
import time
from pathlib import Path

import click

from portal import create_app
from portal.database.embedded import EmbeddedDatabaseError
from portal.workers import start_workers, stop_workers
from portal.workers.presence import start_presence_thread
from records.forms import register_all
from records.roles import ROLES


@contextlib.contextmanager
def portal_app(indexer: str | None = "manual", **overrides):
    """An app with its context pushed; its embedded database stops on exit.

    Commands other than ``serve`` start neither the background indexer nor
    the deadline checks (``portal demo`` runs records on a simulated clock)."""
    from portal.database import DatabaseUnavailable, stop_embedded

    if indexer:
        overrides["SEARCH_INDEXER"] = indexer
        overrides.setdefault("DEADLINE_CHECK_MINUTES", 0)
    try:
        app = create_app(overrides or None)
    except (EmbeddedDatabaseError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from None
    # Every command may die inside a transaction and may see another that
    # did (records.presence): each keeps its entry fresh while it runs.
    presence = start_presence_thread(app)
    app.extensions["presence_thread"] = presence
    try:
        with app.app_context():
            yield app
    finally:
        stop_workers(app)
        presence.stop()
        stop_embedded(app)


def _fail(error) -> click.ClickException:
    return click.ClickException(str(error))


@click.group()
def main():
    """Controlled-records portal."""
    register_all()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@main.command()
@click.option("--host", help="Address to listen on (PORTAL_HOST, default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (PORTAL_PORT, default 5000).")
@click.option(
    "--threads", type=int, help="Threads of each web process (PORTAL_THREADS, default 8)."
)
@click.option(
    "--workers",
    "processes",
    type=click.IntRange(1, 64),
    help="Web processes sharing the port (PORTAL_WEB_PROCESSES, default 1); the "
    "background work runs once, in this process.",
)
@click.option(
    "--background/--no-background",
    " /--no-workers",
    default=True,
    show_default=True,
    help="Also run the background work (indexer, deadlines, e-mail, backups); "
    "--no-background (or --no-workers) when `portal worker` runs it.",
)
@click.option(
    "--demo-if-empty",
    is_flag=True,
    help="Load the demo organisation first if the database is empty (what `make run` does;"
    " password from PORTAL_DEMO_PASSWORD or random).",
)
def serve(host, port, threads, processes, background, demo_if_empty):
    """Serve the portal with waitress, on the embedded database unless
    PORTAL_MONGODB_URI is set. Ctrl-C stops the portal and the database.

    With --workers N, N web processes accept on one listening socket; this
    process keeps the embedded database and runs the background work, so it
    runs once however many processes serve."""
    from waitress import serve as waitress_serve

    # SIGTERM (service managers, `kill`) and SIGHUP (the terminal closed)
    # stop as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGHUP, _stop_on_sigterm)
    given_up: list[str] = []
    # serve owns its embedded database (a folder in use is refused) and
    # restarts it if it dies; past the restart limit it exits non-zero.
    with (
        portal_app(indexer=None, EMBEDDED_DB_ATTACH=False, EMBEDDED_DB_SUPERVISE=True) as app,
        _serving_lock(Path(app.config["DATA_DIR"])),
    ):
        embedded = app.extensions.get("embedded_db")
        if embedded is not None:

            def give_up(message):
                given_up.append(message)
                _thread.interrupt_main()

            embedded.on_give_up = give_up
        if demo_if_empty:
            # Here rather than a `portal demo` before serving: the database
            # boots once (a second boot on a large one took ~17 s).
            _demo_if_empty(app, password=os.environ.get("PORTAL_DEMO_PASSWORD"))
        _announce_initial_admin(app)
        _count_measures_once()
        if background:
            start_workers(app)
        host = host or app.config["HOST"]
        port = port or app.config["PORT"]
        threads = threads or app.config["THREADS"]
        processes = processes or app.config["WEB_PROCESSES"]
        try:
            if processes > 1:
                from portal.cli.processes import serve_processes

                serve_processes(
                    host,
                    port,
                    threads,
                    processes,
                    announce=click.echo,
                    on_exit=lambda pid: app.extensions["presence_thread"].wake(),
                )
            else:
                click.echo(f"Portal: http://{host}:{port}/  (Ctrl-C stops it)")
                waitress_serve(
                    app, host=host, port=port, threads=threads, ident="portal", _quiet=True
                )
        except OSError as error:
            raise click.ClickException(f"Cannot listen on {host}:{port}: {error}") from None
        except KeyboardInterrupt:
            pass
        click.echo("Stopping the portal and its database…")
    if given_up:
        raise click.ClickException(given_up[-1])


@main.command("web-process", hidden=True)
@click.option("--fd", type=int, required=True)
@click.option("--threads", type=int, required=True)
def web_process(fd, threads):
    """One web process of `portal serve --workers N` (started by it, never by hand)."""
    from portal.cli.processes import run_web_process

    run_web_process(fd, threads)


@contextlib.contextmanager
def _serving_lock(data_dir: Path):
    """One ``portal serve`` per data folder: its search index has one writer,
    and its embedded database one owner."""
    path = data_dir / "portal-serve.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            other = os.read(fd, 100).decode(errors="replace").strip() or "?"
            raise click.ClickException(
                f"Another portal (pid {other}) already serves the data folder {data_dir}: "
                "stop it first, or give this one its own PORTAL_DATA_DIR."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


@main.command()
def worker():
    """Run only the background work (search indexer, deadline checks, e-mail)
    for a deployment whose web processes run `portal serve --no-workers` or
    gunicorn; Ctrl-C or SIGTERM stops it."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGHUP, _stop_on_sigterm)
    with portal_app(indexer=None) as app:
        names = start_workers(app)
        click.echo(
            "Background work: "
            + (", ".join(names) or "nothing is configured")
            + "  (Ctrl-C stops it)"
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        click.echo("Stopping the background work…")


def _count_measures_once() -> None:
    """Records kept before the measures existed are counted once, at start."""
    from records import measures
    from records.store import database

    db = database()
    if (
        db[measures.COLLECTION].find_one() is None
        and db.records.find_one({"type": "complaint_sheet"}) is not None
    ):
        click.echo("Counting the measures of the records kept so far…")
        measures.rebuild(db)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def _announce_initial_admin(app) -> None:
    from portal.accounts import ensure_initial_admin

    created = ensure_initial_admin()
    if created is None:
        return
    _user, password = created
    path = _write_private(Path(app.config["DATA_DIR"]) / "initial-admin-password", password)
    banner = "=" * 64
    click.echo(
        f"{banner}\nFirst start: created the user 'admin' with the password\n\n"
        f"    {password}\n\nIt is also in {path} (readable by you only).\n"
        f"Log in and change it under My account.\n{banner}"
    )


def _write_private(path: Path, secret: str) -> Path:
    """Write ``secret`` to ``path``, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    os.chmod(path, 0o600)
    return path


# --- demo -------------------------------------------------------------------


@main.command()
@click.option(
    "--password",
    envvar="PORTAL_DEMO_PASSWORD",
    help="The demo users' password (PORTAL_DEMO_PASSWORD); generated if omitted.",
)
@click.option("--force", is_flag=True, help="Load even though the database has records.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load only into an empty database (no users, no records); otherwise say so.",
)
@click.option(
    "--complaints",
    type=click.IntRange(1, 5000),
    default=None,
    help="How many complaints; the other forms scale with it (default 100).",
)
@click.option("--seed", type=int, default=None, help="Seed of the random choices.")
def demo(password, force, if_empty, complaints, seed):
    """Load a demo organisation: departments, users of every role and a few
    hundred records of every form, in every state of their workflows."""
    with portal_app() as app:
        if if_empty:
            _demo_if_empty(app, password=password, complaints=complaints, seed=seed)
        else:
            _load_demo(app, password, force=force, complaints=complaints, seed=seed)


def _demo_if_empty(app, *, password=None, complaints=None, seed=None) -> None:
    """Load the demo into an empty database; otherwise say in one line, in
    the language of the environment (LANG), that it is left as it is."""
    from portal.demo import database_is_empty

    if database_is_empty():
        _load_demo(app, password, force=False, complaints=complaints, seed=seed)
        return
    click.echo(
        _cli_text(
            app,
            "The database already holds users or records: the demo organisation is not loaded.",
        )
    )


def _cli_text(app, msgid: str) -> str:
    """``msgid`` translated for the command line: LC_ALL, LC_MESSAGES or LANG
    when it names one of the portal's languages, else the default one."""
    from flask_babel import force_locale
    from flask_babel import gettext as translate

    from portal.i18n import language_for_tag

    tag = next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), "")
    language = language_for_tag(tag.split(".")[0]) if tag else None
    if language not in app.config["LANGUAGES"]:
        language = app.config["BABEL_DEFAULT_LOCALE"]
    with app.test_request_context(), force_locale(language):
        return translate(msgid)


def _load_demo(app, password, *, force, complaints, seed) -> None:
    from portal.accounts import AccountError
    from portal.demo import DEFAULT_COMPLAINTS, DEFAULT_SEED, DemoRefused, check_demo, load_demo

    generated = not password
    password = password or secrets.token_urlsafe(12)
    min_length = app.config["PASSWORD_MIN_LENGTH"]
    try:
        check_demo(password, force=force, min_password_length=min_length)
    except (DemoRefused, AccountError) as error:
        raise _fail(error) from None
    # Filed before the users exist, so an interrupted load loses no password.
    path = _write_private(Path(app.config["DATA_DIR"]) / "demo-password", password)
    click.echo("Loading the demo organisation (this takes about a minute)…")
    try:
        summary = load_demo(
            password,
            complaints=complaints or DEFAULT_COMPLAINTS,
            seed=DEFAULT_SEED if seed is None else seed,
            force=force,
            min_password_length=min_length,
            log=click.echo,
        )
    except (DemoRefused, AccountError) as error:
        raise _fail(error) from None
    _announce_demo(summary, password, generated, path)


def _announce_demo(summary: dict, password: str, generated: bool, path: Path) -> None:
    forms = sum(1 for count in summary["records"].values() if count)
    rows = []
    for user in summary["users"]:
        roles = ", ".join([*user["roles"], *(f"({p})" for p in user["positions"])])
        note = "  keeps its own password" if user["kept_password"] else ""
        rows.append(
            f"  {user['username']:<14}{roles:<31}{user['department'] or '-':<6}"
            f"{user['full_name']}{note}"
        )
    origin = "generated" if generated else "given"
    banner = "=" * 64
    click.echo(
        f"{banner}\nDemo organisation loaded: {summary['total']} records in {forms} forms, "
        f"{summary['overdue']} overdue, in {summary['seconds']:g} s.\n\n"
        f"Demo users (password {origin} for this load):\n"
        + "\n".join(rows)
        + f"\n\nTheir password:\n\n    {password}\n\n"
        f"It is also in {path} (readable by you only).\n{banner}"
    )


# --- deadlines --------------------------------------------------------------


@main.command()
def escalate():
    """Raise the severity of unresolved complaints whose time has passed (what
    `portal serve` does every PORTAL_DEADLINE_CHECK_MINUTES); for cron."""
    from records.calendar import seed_from_package
    from records.escalation import escalate as escalate_complaints

    with portal_app():
        seed_from_package()
        raised = escalate_complaints()
    for number, severity in raised:
        click.echo(f"{number}: {severity}")
    click.echo(f"{len(raised)} complaints raised.")


# --- e-mail -----------------------------------------------------------------


@main.group()
def mail():
    """E-mail notifications from the outbox."""


@mail.command("send")
def mail_send():
    """Queue the deadline notices due and send what waits, once (what
    `portal serve` does every PORTAL_MAIL_SEND_SECONDS); for cron."""
    from portal.workers.mail import send_due, smtp_configured

    with portal_app() as app:
        done = send_due(app)
        configured = smtp_configured(app.config)
    click.echo(f"{done.queued} queued, {done.sent} sent, {done.failed} failed.")
    if not configured:
        click.echo(
            "PORTAL_SMTP_HOST is not set: nothing is sent; administrators read the "
            "messages on the Outgoing e-mail page."
        )


# --- users ------------------------------------------------------------------


@main.group()
def user():
    """Create users, set passwords, disable users."""


def _get_user(username: str):
    from portal.accounts import normalize_username
    from portal.models import User

    found = User.objects(username=normalize_username(username)).first()
    if found is None:
        raise click.ClickException(f"No user is called {username!r}.")
    return found


def _read_password(password: str | None) -> str:
    if password == "-":  # noqa: S105 - '-' means standard input
        return sys.stdin.readline().rstrip("\n")
    if password:
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("create")
@click.argument("username")
@click.option("--full-name", required=True, help="The person's name as printed on records.")
@click.option(
    "--role", "roles", multiple=True, type=click.Choice(list(ROLES)), help="Repeat for several."
)
@click.option("--department", help="Department code.")
@click.option("--email")
@click.option("--password", help="'-' reads it from standard input; prompted if omitted.")
def user_create(username, full_name, roles, department, email, password):
    """Create a user."""
    from portal.accounts import AccountError, create_user

    with portal_app() as app:
        try:
            created = create_user(
                username,
                full_name,
                _read_password(password),
                roles=roles,
                department=department,
                email=email,
                min_password_length=app.config["PASSWORD_MIN_LENGTH"],
            )
        except AccountError as error:
            raise _fail(error) from None
        click.echo(f"Created user {created.username} ({', '.join(created.roles) or 'no role'}).")


@user.command("passwd")
@click.argument("username")
@click.option("--password", help="'-' reads it from standard input; prompted if omitted.")
def user_passwd(username, password):
    """Set a user's password (ends their open sessions)."""
    from portal.accounts import AccountError, set_password

    with portal_app() as app:
        found = _get_user(username)
        try:
            set_password(found, _read_password(password), app.config["PASSWORD_MIN_LENGTH"])
        except AccountError as error:
            raise _fail(error) from None
        click.echo(f"Password of {found.username} changed.")


@user.command("disable")
@click.argument("username")
def user_disable(username):
    """Disable a user: no logins, sessions and API tokens stop working."""
    from portal.accounts import disable_user

    with portal_app():
        found = _get_user(username)
        disable_user(found)
        click.echo(f"User {found.username} disabled.")


# --- API tokens ---------------------------------------------------------------


@main.group()
def token():
    """API tokens for the JSON API."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def token_create(username, name):
    """Create an API token for USERNAME and print it once."""
    from portal.accounts import AccountError, create_token

    with portal_app():
        found = _get_user(username)
        if not found.active:
            raise click.ClickException(f"User {found.username} is disabled.")
        try:
            _token, clear = create_token(found, name)
        except AccountError as error:
            raise _fail(error) from None
        click.echo(clear)
        click.echo("Keep it now: it cannot be shown again.", err=True)


@token.command("list")
@click.argument("username")
def token_list(username):
    """List USERNAME's tokens (prefix, name, state)."""
    from portal.models import ApiToken

    with portal_app():
        found = _get_user(username)
        for item in ApiToken.objects(user=found):
            state = "revoked" if item.is_revoked else "active"
            click.echo(f"{item.prefix}\t{item.name}\t{state}\t{item.created_at:%Y-%m-%d %H:%M}")


@token.command("revoke")
@click.argument("prefix")
def token_revoke(prefix):
    """Revoke the token whose listed prefix is PREFIX."""
    from portal.accounts import revoke_token
    from portal.models import ApiToken

    with portal_app():
        matches = list(ApiToken.objects(prefix=prefix))
        if len(matches) != 1:
            raise click.ClickException(f"No single token has the prefix {prefix!r}.")
        revoke_token(matches[0])
        click.echo(f"Token {prefix} revoked.")


# --- audit trail and records ----------------------------------------------------


@main.group("audit")
def audit_group():
    """The audit trail."""


@audit_group.command("verify")
def audit_verify():
    """Check the audit trail (hash chain, HMACs, checkpoints) and every
    record against its versions; exit 1 at the first failure. An intact
    trail gets a new checkpoint."""
    from records import audit
    from records.integrity import verify_records
    from records.store import database

    with portal_app() as app:
        checkpoints = app.config["AUDIT_CHECKPOINTS"]
        result = audit.verify(database(), checkpoints=checkpoints)
        records = verify_records(database()) if result.ok else None
        written = audit.checkpoint(database(), checkpoints) if records and records.ok else None
    if not result.ok:
        click.echo(f"Audit trail BROKEN at entry {result.broken_at}: {result.reason}.", err=True)
        sys.exit(1)
    if not records.ok:
        click.echo(f"Record {records.number} BROKEN: {records.reason}.", err=True)
        sys.exit(1)
    older = result.unauthenticated + records.unauthenticated
    click.echo(
        f"Audit trail intact: {result.entries} entries, {result.checkpoints} "
        f"checkpoints; {records.records} records and {records.versions} versions "
        "match."
        + (
            f" {older} entries and versions from before the audit key are checked by their hashes."
            if older
            else ""
        )
    )
    if written:
        click.echo(f"Checkpoint written at entry {written['seq']}.")


@audit_group.command("checkpoint")
def audit_checkpoint():
    """Append the audit trail's head to the checkpoint file (outside the
    database), so that entries removed later are found by `verify`."""
    from records import audit
    from records.store import database

    with portal_app() as app:
        path = app.config["AUDIT_CHECKPOINTS"]
        try:
            written = audit.checkpoint(database(), path)
        except audit.CheckpointError as error:
            raise click.ClickException(f"No checkpoint written: {error}.") from None
    if written:
        click.echo(f"Checkpoint written at entry {written['seq']} in {path}.")
    else:
        click.echo("Nothing new since the last checkpoint.")


@audit_group.command("export")
@click.option("--number", help="Only the entries of this record.")
@click.option("--as", "username", required=True, help="The auditor exporting (recorded).")
def audit_export(number, username):
    """Write the audit trail as JSON lines to standard output (audited)."""
    import json

    from records import audit
    from records.models import AuditEntry
    from records.permissions import READ_AUDIT_TRAIL, may

    with portal_app():
        exporter = _get_user(username)
        if not may(exporter, READ_AUDIT_TRAIL):
            raise click.ClickException(
                "Only auditors, controllers and approvers export the audit trail."
            )
        query = AuditEntry.objects(number=number) if number else AuditEntry.objects
        for entry in query.order_by("seq"):
            son = entry.to_mongo().to_dict()
            son.pop("_id", None)
            click.echo(json.dumps(son, ensure_ascii=False, default=str))
        audit.record_event(
            exporter.username, "export", details={"what": "audit", "number": number, "via": "cli"}
        )


@main.group("records")
def records_group():
    """Records, through the same operations as the back office and the API."""


@records_group.command("delete")
@click.argument("number")
@click.option("--as", "username", required=True, help="The approver disposing of it.")
@click.option("--reason", required=True)
def records_delete(number, username, reason):
    """Dispose of a record: refused until its retention ends and while on hold."""
    from portal.actors import actor_for, message
    from records.errors import RecordError
    from records.retention import dispose_record

    with portal_app():
        actor = actor_for(_get_user(username))
        try:
            certificate = dispose_record(actor, number, reason)
        except RecordError as error:
            raise click.ClickException(message(error)) from None
        click.echo(f"{certificate.number} disposed of; its certificate is kept.")


# --- search -----------------------------------------------------------------


@main.command()
@click.option(
    "--restart", is_flag=True, help="Throw away an interrupted rebuild instead of resuming it."
)
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    help="Processes analysing documents (Tantivy: they feed this process's one writer;"
    " 1: analysed here). Default: Tantivy 1 on two cores, else one less than the cores;"
    " Whoosh one a core; at most 4.",
)
@click.option(
    "--optimize/--no-optimize",
    default=True,
    show_default=True,
    help="Whoosh: merge the new index into one segment before switching to it"
    " (Tantivy merges as it goes).",
)
def reindex(restart, procs, optimize):
    """Rebuild the search index from the database.

    The portal keeps searching the old index until the new one is complete;
    an interrupted rebuild resumes where it stopped."""
    import shutil

    from search_index.indexer import default_procs

    with portal_app() as app:
        store = app.extensions["search_index"]
        indexer = app.extensions["search_indexer"]
        building = store.building()
        if building and restart:
            shutil.rmtree(building[0])
            building = None
        if building:
            click.echo(f"Resuming the rebuild after {building[1].get('done', 0)} records.")
        bar = None
        done_before = building[1].get("done", 0) if building else 0

        def progress(done, total):
            nonlocal bar, done_before
            if bar is None:
                bar = click.progressbar(
                    length=max(total, done), label="Indexing records", show_pos=True, show_eta=True
                )
                bar.__enter__()
            bar.update(done - done_before)
            done_before = done

        try:
            # Records per commit: the engine's own (where a rebuild resumes).
            result = indexer.rebuild(
                progress=progress,
                procs=procs or default_procs(store.engine),
                optimize=optimize,
            )
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        click.echo(
            f"Indexed {result['records']} records into {result['generation']}"
            f" ({result['replayed']} changes saved meanwhile applied)."
        )


@main.group("attachments")
def attachments_group():
    """The text read from attachments."""


@attachments_group.command("reextract")
@click.option("--record", "number", help="Only this record's attachments (its number).")
@click.option("--all", "everything", is_flag=True, help="Every attachment.")
def attachments_reextract(number, everything):
    """Read attachments again (after an upgrade of Tesseract, or a failure
    since fixed); the workers of `portal serve` / `portal worker` read them."""
    from records import extraction
    from records.store import database

    if bool(number) == bool(everything):
        raise click.UsageError("Give either --record NUMBER or --all.")
    with portal_app():
        if number and database().records.find_one({"number": number}, {"_id": 1}) is None:
            raise click.ClickException(f"There is no record {number}.")
        queued = extraction.reextract(number or None)
    click.echo(f"{queued} attachments queued to be read again.")


@main.group("measures")
def measures_group():
    """The counts behind the measures and reports."""


@measures_group.command("rebuild")
def measures_rebuild():
    """Count every record again (after an upgrade that counts something new)."""
    from records import measures

    with portal_app():
        started = time.perf_counter()
        counted = measures.rebuild()
        click.echo(f"Counted {counted} records in {time.perf_counter() - started:.1f} s.")


@main.command()
@click.option(
    "--full",
    is_flag=True,
    help="Compare every key and version, also above 20,000 records (minutes at a million).",
)
def check(full):
    """Compare the database with the search index and print the differences.

    Up to 20,000 records every key and version is compared; above, the
    numbers of documents, the latest changes and random samples."""
    with portal_app() as app:
        report = app.extensions["search_indexer"].check(full=full or None)
    differences = 0
    for part in ("current", "history"):
        for kind, keys in report[part].items():
            differences += len(keys)
            if keys:
                shown = ", ".join(keys[:20]) + (" …" if len(keys) > 20 else "")
                click.echo(f"{part}: {len(keys)} {kind}: {shown}")
    for part, counted in report.get("count", {}).items():
        differences += 1
        click.echo(f"{part}: {counted}")
    if "sampled" in report:
        sampled = report["sampled"]
        click.echo(
            f"Compared the document counts, {sampled['records']} records and"
            f" {sampled['versions']} versions (the latest changes and a random run)"
            f" and {sampled['index_keys']} index keys; `portal check --full` compares all."
        )
    if report["pending"]:
        click.echo(f"{report['pending']} saved changes are still waiting to be indexed.")
    if differences:
        raise click.ClickException(
            f"{differences} differences between database and index;"
            " `portal reindex` rebuilds the index."
        )
    click.echo("The search index matches the database.")


def _archive(step, path):
    """Run ``step`` (:func:`backup.backup` or :func:`backup.restore`) on the
    portal's database and ``path``; a refused archive is the command's error."""
    from portal.database import backup
    from records.store import database

    with portal_app():
        try:
            return step(database(), path)
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path):
    """Write one archive of everything in the database (consistent while serving)."""
    from portal.database import backup

    summary = _archive(backup.backup, path)
    click.echo(
        f"{summary.path}: {summary.documents} documents in "
        f"{len(summary.collections)} collections, {summary.size / 1e6:.1f} MB."
    )


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(path):
    """Restore an archive into an empty database (checked before anything is written)."""
    from portal.database import backup

    summary = _archive(backup.restore, path)
    click.echo(
        f"Restored {summary.documents} documents in {len(summary.collections)} "
        "collections. Run `portal audit verify` (with the same audit key) and "
        "`portal reindex`."
    )
