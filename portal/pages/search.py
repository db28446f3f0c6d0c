"""The search page, saved searches, and what the search API shares with them.

Both the page (``/search``) and ``GET /api/v1/search`` read the same query
parameters with :func:`read_search`, run :func:`run` as the logged-in user
and show :func:`present`-ed hits: loaded from the database, cut down to what
the user may see, with highlighted snippets of public text only.
"""

from __future__ import annotations

from datetime import date, datetime, time
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, gettext, to_utc
from flask_login import current_user
from markupsafe import Markup
from mongoengine.errors import NotUniqueError

from portal.actors import actor_for
from portal.models import Department, SavedSearch
from portal.pages.attachment_text import matched_page
from portal.security import permission_required
from records.extraction import page_texts
from records.i18n import N_
from records.models import DisposalCertificate, Record, RecordVersion
from records.types import YEAR_MAX, YEAR_MIN, registry
from records.vocabularies import SEVERITIES
from search_index import (
    CERTIFICATE_TYPE,
    QueryError,
    Results,
    Search,
    may_search,
    may_search_history,
    search,
    snippet,
)

bp = Blueprint("search", __name__)

#: Query parameters a search is made of (a saved search keeps these).
PARAMS = (
    "q",
    "type",
    "state",
    "department",
    "severity",
    "from",
    "to",
    "sort",
    "history",
    "as_of",
    "per_page",
)
MAX_SAVED = 100


def _date(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return _sane(date.fromisoformat(value), value)
    except ValueError:
        raise QueryError(N_("%(value)s is not a date (YYYY-MM-DD)."), value=value) from None


def _sane(moment, value: str):
    """Dates people search by: years 1900 to 2199 (a year 1 or 9999 is a typo)."""
    if not YEAR_MIN <= moment.year <= YEAR_MAX:
        raise QueryError(
            N_("%(value)s is not a date between the years 1900 and 2199."), value=value
        )
    return moment


def _as_of() -> datetime | None:
    """The moment of an as-of search: a date means the end of that day, local time."""
    value = (request.args.get("as_of") or "").strip()
    if not value:
        return None
    try:
        moment = _sane(
            datetime.combine(date.fromisoformat(value), time.max)
            if len(value) == 10
            else datetime.fromisoformat(value),
            value,
        )
    except ValueError:
        raise QueryError(N_("%(value)s is not a date (YYYY-MM-DD)."), value=value) from None
    return to_utc(moment).replace(tzinfo=None)


def _int(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        value = default
    return max(low, min(high, value))


def read_search() -> Search:
    """The search the query parameters describe; QueryError when malformed."""
    flag = (request.args.get("history") or "").lower() in ("1", "true", "on", "yes")
    return Search(
        text=request.args.get("q", ""),
        types=tuple(v for v in request.args.getlist("type") if v),
        states=tuple(v for v in request.args.getlist("state") if v),
        departments=tuple(v for v in request.args.getlist("department") if v),
        severities=tuple(v for v in request.args.getlist("severity") if v),
        date_from=_date("from"),
        date_to=_date("to"),
        sort=request.args.get("sort") or "relevance",
        page=_int("page", 1, 1, 10_000),
        per_page=_int("per_page", 20, 1, 100),
        history=flag,
        as_of=_as_of(),
    )


def run(request_: Search) -> Results:
    actor = actor_for(current_user._get_current_object())
    return search(
        current_app.extensions["search_index"],
        actor,
        request_,
        time_limit=current_app.config["SEARCH_TIME_LIMIT"] or None,
    )


def type_title(name: str) -> str:
    if name == CERTIFICATE_TYPE:
        return gettext("Disposal certificate")
    record_type = registry.get(name)
    if record_type is None:
        return name
    locale = str(get_locale())
    return record_type.titles.get(locale) or record_type.titles.get("zh_Hans") or name


def state_label(type_name: str, state: str) -> str:
    if type_name == CERTIFICATE_TYPE or state == "disposed":
        return gettext("Disposed")
    record_type = registry.get(type_name)
    label = record_type.workflow.states.get(state) if record_type else None
    return gettext(label) if label else state


#: Severity labels from the one vocabulary (a table of its own here missed "hot").
SEVERITY_LABELS = {choice.value: choice.label for choice in SEVERITIES}


def facet_label(facet: str, value: str, departments: dict[str, str]) -> str:
    if facet == "type":
        return type_title(value)
    if facet == "department":
        return departments.get(value, value)
    if facet == "severity":
        return gettext(SEVERITY_LABELS[value]) if value in SEVERITY_LABELS else value
    if facet == "state":
        types = request.args.getlist("type") or [t.name for t in registry]
        for name in types:
            record_type = registry.get(name)
            if record_type and value in record_type.workflow.states:
                return gettext(record_type.workflow.states[value])
        return state_label(CERTIFICATE_TYPE, value) if value == "disposed" else value
    return value


def snippet_text(type_name: str, data: dict) -> str:
    """The words a snippet may show: written text, never confidential fields."""
    record_type = registry.get(type_name)
    if record_type is None:
        return ""
    return "\n".join(
        str(data[f.name])
        for f in record_type.fields
        if f.kind in ("string", "text") and not f.confidential and data.get(f.name)
    )


def present(results: Results) -> list[dict]:
    """The hits as shown: current data from the database, public text only."""
    numbers = [hit.number for hit in results.hits]
    history = bool(results.search.history or results.search.as_of)
    records = {r.number: r for r in Record.objects(number__in=numbers)}
    versions = {}
    if history:
        wanted = {(hit.number, hit.version) for hit in results.hits}
        for version in RecordVersion.objects(number__in=numbers):
            if (version.number, version.version) in wanted:
                versions[(version.number, version.version)] = version
    certificates = {
        c.number: c
        for c in DisposalCertificate.objects(number__in=[n for n in numbers if n not in records])
    }
    shown = []
    for hit in results.hits:
        record = records.get(hit.number)
        if record is None:
            certificate = certificates.get(hit.number)
            if certificate is None:
                continue  # disposed since it was indexed
            shown.append(
                {
                    "number": hit.number,
                    "version": None,
                    "type": CERTIFICATE_TYPE,
                    "type_title": type_title(CERTIFICATE_TYPE),
                    "state": "disposed",
                    "state_label": state_label(CERTIFICATE_TYPE, "disposed"),
                    "title": certificate.title or "",
                    "department": "",
                    "updated_at": certificate.disposed_at,
                    "snippet": snippet(certificate.reason or "", results.terms),
                    # The certificate lives on the disposition page (open to
                    # every role that can find certificates), filtered to it.
                    "url": url_for(
                        "disposition.index", number=hit.number, _anchor=f"certificate-{hit.number}"
                    ),
                    "score": hit.score,
                }
            )
            continue
        source = versions.get((hit.number, hit.version)) if history else record
        if source is None:
            continue
        text = snippet_text(record.type, source.data or {})
        shown_snippet = snippet(text, results.terms) or Markup("")
        url_args = {"id": str(record.pk)}
        if history:
            url_args["version"] = hit.version
        shown.append(
            {
                "number": record.number,
                "version": hit.version if history else record.version,
                "type": record.type,
                "type_title": type_title(record.type),
                "state": source.state,
                "state_label": state_label(record.type, source.state),
                "title": source.title or "",
                "department": source.department or "",
                "updated_at": source.changed_at if history else record.updated_at,
                "snippet": shown_snippet,
                "found_in": None,
                "url": url_for(f"records_{record.type}.details_view", **url_args),
                "score": hit.score,
            }
        )
    _found_in_attachments(shown, results.terms)
    return shown


def _found_in_attachments(shown: list[dict], terms) -> None:
    """Hits whose own text does not hold the words were found by what an
    attachment says: name the file and page, and show the words there."""
    wanted = [
        hit["number"]
        for hit in shown
        if hit["type"] != CERTIFICATE_TYPE and "<mark>" not in hit["snippet"]
    ]
    if not wanted or not terms:
        return
    scanned = page_texts(actor_for(current_user._get_current_object()), wanted)
    for hit in shown:
        found = matched_page(scanned[hit["number"]], terms) if hit["number"] in scanned else None
        if found:
            hit["found_in"], hit["snippet"] = found


def department_names() -> dict[str, str]:
    return {d.code: d.name for d in Department.objects.only("code", "name")}


def _saved_for(username: str):
    return SavedSearch.objects(owner=username).order_by("name")


def _params() -> dict:
    return {name: request.args.getlist(name) for name in PARAMS if request.args.getlist(name)}


def url_with(**changes) -> str:
    """The current search's URL with some parameters changed (None removes)."""
    params = {name: request.args.getlist(name) for name in PARAMS}
    for name, value in changes.items():
        params[name] = [] if value is None else (value if isinstance(value, list) else [value])
    flat = [(name, v) for name, values in params.items() for v in values if v not in ("",)]
    return url_for("search.page") + ("?" + urlencode(flat) if flat else "")


def toggled(name: str, value: str) -> str:
    """The URL with ``value`` added to or removed from filter ``name``."""
    values = request.args.getlist(name)
    values = [v for v in values if v != value] if value in values else [*values, value]
    return url_with(**{name: values, "page": None})


@bp.route("/search")
@permission_required()
def page():
    actor = actor_for(current_user._get_current_object())
    if not may_search(actor):
        abort(403)
    results, hits, error, code = None, [], None, 200
    try:
        wanted = read_search()
        results = run(wanted)
        hits = present(results)
    except QueryError as refused:
        error = gettext(refused.message, **refused.params)
    except Exception:  # noqa: BLE001 - the index is derived; say so instead of a 500
        current_app.logger.exception("search failed")
        error, code = gettext("Search is unavailable at the moment. Please try again later."), 503
    return render_template(
        "search.html",
        results=results,
        hits=hits,
        error=error,
        departments=department_names(),
        saved=_saved_for(actor.username),
        may_history=may_search_history(actor),
        url_with=url_with,
        toggled=toggled,
        facet_label=facet_label,
        current_params=_params(),
    ), code


@bp.route("/search/saved", methods=["POST"])
@permission_required()
def save():
    name = (request.form.get("name") or "").strip()
    params = {key: request.form.getlist(key) for key in PARAMS if request.form.getlist(key)}
    params = {key: [v for v in values if v] for key, values in params.items()}
    back = url_for("search.page") + (
        "?" + urlencode([(k, v) for k, values in params.items() for v in values]) if params else ""
    )
    username = current_user.username
    if not name or len(name) > 120:
        flash(gettext("Give the saved search a name of at most 120 characters."), "error")
    elif not params:
        flash(gettext("There is nothing to save: search first."), "error")
    elif _saved_for(username).count() >= MAX_SAVED:
        flash(
            gettext(
                "You have %(count)d saved searches already; delete some first.", count=MAX_SAVED
            ),
            "error",
        )
    else:
        try:
            SavedSearch(owner=username, name=name, params=params).save()
        except NotUniqueError:
            flash(gettext("You already have a saved search called %(name)s.", name=name), "error")
        else:
            flash(gettext("Saved the search %(name)s.", name=name), "success")
    return redirect(back)


def _own(search_id: str) -> SavedSearch:
    saved = (
        SavedSearch.objects(id=search_id, owner=current_user.username).first()
        if len(search_id) == 24
        else None
    )
    if saved is None:
        abort(404)
    return saved


@bp.route("/search/saved/<search_id>")
@permission_required()
def rerun(search_id):
    saved = _own(search_id)
    flat = [(key, value) for key, values in saved.params.items() for value in values]
    return redirect(url_for("search.page") + "?" + urlencode(flat))


@bp.route("/search/saved/<search_id>/delete", methods=["POST"])
@permission_required()
def delete(search_id):
    saved = _own(search_id)
    saved.delete()
    flash(gettext("Deleted the saved search %(name)s.", name=saved.name), "success")
    return redirect(url_for("search.page"))
