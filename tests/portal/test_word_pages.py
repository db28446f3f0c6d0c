"""Word and Excel downloads through the portal: a record's form from its page
and the API (current and past versions), a batch zip, the forms library in
the current edition only, the registers, controller templates; each download
audited and each refused where the user has no business."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from docx import Document
from openpyxl import load_workbook

from records.clock import local_now
from records.models import AuditEntry, Record
from records.operations import revise_record, transition_record
from records.settings import update_type_settings
from records.word import templates
from records.word.texts import Texts
from tests.helpers import PASSWORD, actor_of, csrf_token, dispatch, hotline_complaint, session_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _complaint(title="检测报告数据有误"):
    return hotline_complaint(
        title,
        "华新水泥厂 <总部> & 分厂",
        "报告第3页数据\n与原始记录不符",
        ago=timedelta(hours=2),
        contact="周先生 13900001111",
    )


def _approved_complaint():
    record = _complaint()
    dispatch(record.number)
    transition_record(
        actor_of("wang"), record.number, "submit_plan", changes={"plan": "重新出具报告"}
    )
    return transition_record(actor_of("boss"), record.number, "approve_plan", password=PASSWORD)


def _docx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == DOCX
    return Document(io.BytesIO(response.data))


def _header(document):
    return "\n".join(p.text for p in document.sections[0].header.paragraphs)


def _cells(document):
    return [c.text for t in document.tables for r in t.rows for c in r.cells]


def _downloads(number=None):
    query = AuditEntry.objects(action="download")
    return list(query.filter(number=number) if number else query)


def test_a_record_downloads_from_its_page_with_number_signature_and_audit(app, org):
    record = _approved_complaint()
    handler = session_of(app, "wang")
    page = handler.get(f"/admin/records_complaint_sheet/details/?id={record.pk}")
    assert f"/records/{record.number}/docx" in page.get_data(as_text=True)
    response = handler.get(f"/records/{record.number}/docx")
    document = _docx(response)
    assert f"{record.number}.docx" in response.headers["Content-Disposition"]
    header = _header(document)
    assert "GAEPC/QR-015  A/0" in header and record.number in header
    cells = _cells(document)
    assert "华新水泥厂 <总部> & 分厂" in cells
    assert "报告第3页数据\n与原始记录不符" in cells
    assert "重新出具报告" in cells
    assert any(text.startswith("张主任，已批准，") for text in cells)
    assert "1 检测部" not in cells and "TEST 检测部" in cells
    entry = _downloads(record.number)[0]
    assert entry.actor == "wang" and entry.details["format"] == "docx"
    assert entry.details["layout"] == "built-in"


def test_the_api_gives_a_past_version_and_hides_contacts_from_the_department(app, org):
    record = _complaint()
    dispatch(record.number)
    revise_record(
        actor_of("chen"),
        record.number,
        {"customer": "改名后的客户"},
        base_version=2,
        reason="客户更名",
    )
    controller = session_of(app, "chen")
    first = _docx(controller.get(f"/api/v1/records/{record.number}/docx?version=1"))
    assert "华新水泥厂 <总部> & 分厂" in _cells(first)
    assert "第1版；现行版本为第3版" in _header(first)
    current = _docx(controller.get(f"/api/v1/records/{record.number}/docx"))
    assert "改名后的客户" in _cells(current) and "（第3版）" in _header(current)
    assert "周先生 13900001111" in _cells(current)
    missing = controller.get(f"/api/v1/records/{record.number}/docx?version=9")
    assert missing.status_code == 404 and "没有第 9 版" in missing.get_json()["message"]
    # The handler's colleague sees the record but not the customer's telephone.
    colleague = session_of(app, "liu")
    shown = _cells(_docx(colleague.get(f"/api/v1/records/{record.number}/docx")))
    assert "周先生 13900001111" not in shown and "（不向您的角色显示）" in shown
    versions = [e.version for e in _downloads(record.number)]
    assert sorted(versions) == [1, 3, 3]


def test_another_department_gets_nothing_and_only_controllers_issue_controlled_copies(app, org):
    record = _approved_complaint()
    other = session_of(app, "zhao")
    assert other.get(f"/api/v1/records/{record.number}/docx").status_code == 404
    page = other.get(f"/records/{record.number}/docx", follow_redirects=True)
    assert page.mimetype != DOCX and f"没有记录 {record.number}" in page.get_data(as_text=True)
    handler = session_of(app, "wang")
    refused = handler.get(f"/api/v1/records/{record.number}/docx?controlled=1")
    assert refused.status_code == 403 and "受控副本" in refused.get_json()["message"]
    controller = session_of(app, "chen")
    document = _docx(controller.get(f"/api/v1/records/{record.number}/docx?controlled=1"))
    footer = "\n".join(p.text for p in document.sections[0].footer.paragraphs)
    assert "受控副本" in footer and "陈静" in footer
    assert _downloads(record.number)[0].details["controlled"] is True
    assert len(_downloads(record.number)) == 1


def test_a_batch_of_records_comes_as_one_zip_each_download_audited(app, org):
    numbers = [_complaint(title=f"投诉{n}").number for n in range(3)]
    controller = session_of(app, "chen")
    token = csrf_token(controller, "/admin/records_complaint_sheet/")
    response = controller.post(
        "/api/v1/records/docx", json={"numbers": numbers}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as package:
        names = sorted(package.namelist())
        assert names == sorted(f"{n}.docx" for n in numbers)
        for name in names:
            document = Document(io.BytesIO(package.read(name)))
            assert name.removesuffix(".docx") in _header(document)
    assert sorted(e.number for e in _downloads()) == sorted(numbers)
    # From the back-office list: the "Download as Word (zip)" action.
    ids = [str(Record.objects.get(number=n).pk) for n in numbers[:2]]
    listing = controller.post(
        "/admin/records_complaint_sheet/action/",
        data={"action": "docx", "rowid": ids, "csrf_token": token},
    )
    assert listing.status_code == 200 and listing.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(listing.data)) as package:
        assert sorted(package.namelist()) == sorted(f"{n}.docx" for n in numbers[:2])
    # A number the user may not see spoils nothing: nothing is handed out.
    hidden = session_of(app, "zhao")
    refused = hidden.post(
        "/api/v1/records/docx",
        json={"numbers": numbers},
        headers={"X-CSRFToken": csrf_token(hidden, "/tasks")},
    )
    assert refused.status_code == 404
    empty = controller.post(
        "/api/v1/records/docx", json={"numbers": []}, headers={"X-CSRFToken": token}
    )
    assert empty.status_code == 400 and "至少选择一条" in empty.get_json()["message"]


def test_the_forms_library_offers_only_the_current_edition(app, org):
    staff = session_of(app, "wang")
    page = staff.get("/forms").get_data(as_text=True)
    assert "服务质量回访记录" in page and "GAEPC/QR-018" in page
    update_type_settings(
        actor_of("chen"),
        "revisit_record",
        edition="B/1",
        numbering_pattern="QR-018-{year}-{seq:04}",
        retention_years=3,
        reason="改版",
        form_code="GAEPC/QR-018",
    )
    page = staff.get("/forms").get_data(as_text=True)
    row = page[page.index('data-type="revisit_record"') :]
    row = row[: row.index("</tr>")]
    assert "B/1" in row and "A/0" not in row
    document = _docx(staff.get("/api/v1/forms/revisit_record/blank.docx"))
    header = _header(document)
    assert "GAEPC/QR-018  B/1" in header and "A/0" not in header
    assert "服务质量回访记录" in "\n".join(p.text for p in document.paragraphs)
    from_page = _docx(staff.get("/forms/revisit_record/blank.docx"))
    assert "B/1" in _header(from_page)
    assert staff.get("/api/v1/forms/nonsense/blank.docx").status_code == 404
    entry = AuditEntry.objects(action="download", record_type="revisit_record").first()
    assert entry.details["blank"] is True


def test_the_complaint_register_and_overdue_list_download_as_word_and_excel(app, org):
    _approved_complaint()
    _complaint(title="另一条")
    controller = session_of(app, "chen")
    today = local_now().date()
    page = controller.get("/register").get_data(as_text=True)
    assert "/register/export.docx" in page and "/register/export.xlsx" in page
    query = f"start={today.replace(day=1).isoformat()}&end={today.isoformat()}"
    document = _docx(controller.get(f"/register/export.docx?{query}"))
    table = document.tables[0]
    assert len(table.rows) == 3 and table.rows[0].cells[0].text == "编号"
    assert {table.rows[1].cells[3].text, table.rows[2].cells[3].text} == {
        "检测报告数据有误",
        "另一条",
    }
    assert "共 2 条投诉" in "\n".join(p.text for p in document.paragraphs)
    workbook = load_workbook(
        io.BytesIO(controller.get(f"/api/v1/registers/complaints.xlsx?{query}&state=approved").data)
    )
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[2][0] == "编号" and len(rows) == 4 and rows[3][3] == "检测报告数据有误"
    assert "状态: 方案已批准" in rows[1][0] or "状态：方案已批准" in rows[1][0]
    overdue = _docx(controller.get("/overdue/export.docx"))
    assert overdue.tables[0].rows[0].cells[0].text == "编号"
    exports = AuditEntry.objects(action="export")
    assert sorted(e.details["format"] for e in exports) == ["docx", "docx", "xlsx"]
    # Staff get their own department's register only.
    other = session_of(app, "zhao")
    mine = load_workbook(io.BytesIO(other.get(f"/register/export.xlsx?{query}").data))
    assert len(list(mine.active.iter_rows(values_only=True))) == 3


def _template(text_in_header: str, body: str) -> bytes:
    document = Document()
    document.sections[0].header.paragraphs[0].text = text_in_header
    document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _upload(client, edition, content, reason="统一版式", filename="模板.docx"):
    token = csrf_token(client, "/admin/word-templates/?type=complaint_sheet")
    return client.post(
        "/admin/word-templates/",
        data={
            "type": "complaint_sheet",
            "edition": edition,
            "reason": reason,
            "csrf_token": token,
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_controllers_template_is_checked_versioned_and_named_in_each_file(app, org):
    controller = session_of(app, "chen")
    broken = _upload(controller, "T/1", _template("{{ number ", "{{ customer }}"))
    assert "占位符有误" in broken.get_data(as_text=True)
    unknown = _upload(controller, "T/1", _template("{{ number }}", "{{ salary }}"))
    assert "未知的占位符：salary" in unknown.get_data(as_text=True)
    no_number = _upload(controller, "T/1", _template("{{ title }}", "{{ customer }}"))
    assert "必须显示记录编号" in no_number.get_data(as_text=True)
    not_word = _upload(controller, "T/1", b"%PDF-1.4 not a docx", filename="x.docx")
    assert "这不是 Word" in not_word.get_data(as_text=True)
    assert templates.in_use("complaint_sheet") is None

    good = _template(
        "{{ form_code }} {{ edition }} No. {{ number }}",
        "客户：{{ customer }} 情况：{{ description }} {{ labels.customer }}",
    )
    ok = _upload(controller, "T/1", good)
    assert "模板版次 T/1 自即日起启用" in ok.get_data(as_text=True)
    record = _complaint()
    document = _docx(controller.get(f"/api/v1/records/{record.number}/docx"))
    assert f"GAEPC/QR-015 A/0 No. {record.number}" in _header(document)
    body = "\n".join(p.text for p in document.paragraphs)
    assert "客户：华新水泥厂 <总部> & 分厂" in body and "与原始记录不符" in body
    entry = templates.in_use("complaint_sheet")
    assert entry["edition"] == "T/1" and entry["sha256"] in document.core_properties.comments
    audit = _downloads(record.number)[0]
    assert audit.details["template_edition"] == "T/1"
    assert audit.details["sha256"] == entry["sha256"]

    # A second edition supersedes the first, which is kept.
    _upload(controller, "T/2", _template("{{ number }}", "第二版 {{ customer }}"))
    states = {e["edition"]: e["state"] for e in templates.editions("complaint_sheet")}
    assert states == {"T/1": "superseded", "T/2": "in_use"}
    again = _upload(controller, "T/2", good)
    assert "版次 T/2 已存在" in again.get_data(as_text=True)
    assert AuditEntry.objects(action="template_upload").count() == 2
    # Staff cannot upload; withdrawing brings the built-in layout back.
    staff = session_of(app, "wang")
    assert staff.get("/admin/word-templates/").status_code in (302, 403)
    token = csrf_token(controller, "/admin/word-templates/?type=complaint_sheet")
    controller.post(
        "/admin/word-templates/",
        data={
            "type": "complaint_sheet",
            "action": "withdraw",
            "reason": "恢复",
            "csrf_token": token,
        },
    )
    assert templates.in_use("complaint_sheet") is None
    document = _docx(controller.get(f"/api/v1/records/{record.number}/docx"))
    assert "GAEPC/QR-015  A/0" in _header(document)


def test_the_starting_template_passes_its_own_checks(app, org):
    controller = session_of(app, "chen")
    response = controller.get("/admin/word-templates/starter/?type=capa_report")
    assert response.status_code == 200
    from records.types import registry

    with app.app_context():
        checked = templates.check_template(
            registry.get("capa_report"), response.data, Texts("zh_Hans")
        )
    assert "number" in checked.placeholders and "root_cause" in checked.placeholders


def test_forms_carry_the_organisations_name(app, org):
    from records.store import database

    staff = session_of(app, "wang")
    default = _docx(staff.get("/forms/revisit_record/blank.docx"))
    assert default.paragraphs[0].text == "Records Portal"
    database().site_settings.insert_one({"_id": "organisation", "name": "城东计量与供热服务中心"})
    kept = _docx(staff.get("/forms/revisit_record/blank.docx"))
    assert kept.paragraphs[0].text == "城东计量与供热服务中心"
    app.config["ORGANISATION_NAME"] = "某电力检测中心"
    configured = _docx(staff.get("/forms/revisit_record/blank.docx"))
    assert configured.paragraphs[0].text == "某电力检测中心"
