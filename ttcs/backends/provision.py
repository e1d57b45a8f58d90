"""Giving every unit its Google spreadsheet: created, laid out, shared, and written into the
contacts (docs/design.md §5, README "Google Sheets").

A service account has no Drive storage of its own, so a spreadsheet is created either in a
Shared Drive folder the service account may write to (``shared_drive``), or by the
coordinator's own account through OAuth (``oauth``); or the communes copy the template link
and share their copy with the service account, which finds it, tells its unit by the code
written in it, checks its layout and records it (``adopt``).

A created spreadsheet gets the template's layout in one atomic ``batchUpdate``; it is shared
as writer with the commune's e-mail and the service account and as reader with the
coordinators — nobody else, never "anyone with the link", never with Drive's notification
e-mail. Shared Drive members keep what the drive gives them; in OAuth mode the coordinator who
signs in owns the sheets. Its id and URL go into the contacts CSV.

Everything is planned from what Drive shows first (:func:`plan`, also the ``--dry-run``), so
that a second run creates and shares nothing twice: a unit whose spreadsheet is in the
contacts, or in the folder under a name carrying its code (a run interrupted before it wrote
the contacts), is never given another one, and only missing permissions are added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from gspread.exceptions import APIError

from ttcs.backends.gsheets import GRID_FIELDS, grid_to_raw
from ttcs.campaign import registry
from ttcs.campaign.contacts import Contacts, read_contacts, record_spreadsheets, sheet_url
from ttcs.campaign.settings import Campaign
from ttcs.errors import ConfigError, UserError
from ttcs.google.api import PERMISSION_FIELDS, Api
from ttcs.google.pacing import Retryable
from ttcs.google.transport import client_for, connect, error_reason
from ttcs.google.urls import FEEDBACK_SHEET_ID, FOLDER_MIME, SHEET_MIME
from ttcs.labels import FEEDBACK_TAB
from ttcs.workbook.form import Form, load_form
from ttcs.workbook.layout import workbook_layout
from ttcs.workbook.parse import find_unit_code, parse_workbook
from ttcs.workbook.template import guide_texts
from ttcs.workbook.template_sheets import layout_requests

ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5,
             "owner": 6}
LAYOUT_RULES = ("tab_missing", "header_missing", "column_missing", "row_missing")
TITLE = "{code} - {name} - Báo cáo thông tin cơ sở"
_CODE_IN_NAME = re.compile(r"(?<!\d)(\d{5})(?!\d)")
LIST_FIELDS = f"id,name,modifiedTime,driveId,{PERMISSION_FIELDS}"
MODE_VI = {"shared_drive": "tạo trong Drive dùng chung", "oauth": "tạo bằng tài khoản điều phối "
           "viên (OAuth)", "adopt": "nhận bảng tính xã tự sao chép"}


class StorageQuotaExceeded(UserError):
    """A service account tried to create a file outside a Shared Drive."""


@dataclass
class Setup:
    """Who acts, where, for which campaign."""

    campaign: Campaign
    form: Form
    api: Api  # as the acting identity: the service account, or the coordinator
    service_account: str  # the service account's e-mail

    @property
    def settings(self) -> Any:
        assert self.campaign.backend.gsheets is not None
        return self.campaign.backend.gsheets.provision

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def folder_id(self) -> str | None:
        assert self.campaign.backend.gsheets is not None
        return self.settings.folder_id or self.campaign.backend.gsheets.folder_id


def prepare(campaign: Campaign, service_account: Mapping[str, Any], *,
            user_credentials: Any = None, pacing: Any = None,
            mount: Callable[[Any], None] | None = None) -> Setup:
    """Connect as whoever creates the sheets: the coordinator (``user_credentials``, OAuth
    mode) or the service account."""
    from ttcs.backends.select import mount_for, pacing_for

    if campaign.backend.kind != "gsheets" or campaign.backend.gsheets is None:
        raise ConfigError(f"{campaign.source}: 'ttcs provision' chỉ dùng với backend gsheets "
                          "(backend.kind: gsheets); với backend local hãy dùng 'ttcs template'")
    pacing = pacing or pacing_for(campaign)
    mount = mount or mount_for(campaign)
    mode = campaign.backend.gsheets.provision.mode
    if mode == "oauth":
        if user_credentials is None:
            raise UserError("chế độ oauth cần thông tin đăng nhập của điều phối viên")
        client = client_for(user_credentials, pacing, mount)
    else:
        client = connect(service_account, pacing, mount)
    email = str(service_account.get("client_email", ""))
    if not email:
        raise ConfigError("khóa tài khoản dịch vụ không có 'client_email'")
    return Setup(campaign, load_form(campaign.form), Api(client), email)


# -- the plan ---------------------------------------------------------------------------------
@dataclass
class Step:
    """What one unit needs."""

    unit: str
    name: str
    sheet_id: str | None  # None: to create
    layout: bool = False  # lay the template out (a new spreadsheet, or one left half-made)
    delete_ids: tuple[int, ...] = (0,)  # the tabs a blank spreadsheet starts with
    grants: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, role) to add
    record: bool = False  # write the id/URL into the contacts
    adopt: bool = False
    problems: list[str] = field(default_factory=list)  # an adopted sheet's layout problems

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["grants"] = [{"email": e, "role": r} for e, r in self.grants]
        data["action"] = ("create" if self.sheet_id is None else "adopt" if self.adopt
                          else "layout" if self.layout else "share" if self.grants
                          else "record")
        del data["delete_ids"]
        return data


@dataclass
class Plan:
    mode: str
    folder_id: str | None
    actor: str  # who creates and shares
    steps: list[Step] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)  # units already done
    missing: list[str] = field(default_factory=list)  # adopt: units with no sheet yet
    notes: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {"mode": self.mode, "folder_id": self.folder_id, "actor": self.actor,
                "steps": [s.public() for s in self.steps], "ready": len(self.ready),
                "missing": self.missing, "notes": self.notes,
                "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        return {"create": sum(s.sheet_id is None for s in self.steps),
                "adopt": sum(s.adopt for s in self.steps),
                "layout": sum(s.layout and s.sheet_id is not None for s in self.steps),
                "share": sum(len(s.grants) for s in self.steps),
                "record": sum(s.record or s.sheet_id is None for s in self.steps),
                "ready": len(self.ready), "missing": len(self.missing)}


def desired_roles(setup: Setup, email: str | None) -> dict[str, str]:
    """Who must have which role on a unit's spreadsheet (e-mails lower-cased)."""
    wanted: dict[str, str] = {}

    def want(address: str, role: str) -> None:
        address = address.strip().lower()
        if address and ROLE_RANK[role] > ROLE_RANK.get(wanted.get(address, ""), 0):
            wanted[address] = role

    for coordinator in setup.campaign.coordinators:
        if coordinator.email:
            want(coordinator.email, "reader")
    want(setup.service_account, "writer")
    if email:
        want(email, "writer")
    return wanted


def holders(permissions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """E-mail -> best role among ``user``/``group`` permissions."""
    out: dict[str, str] = {}
    for p in permissions:
        email = str(p.get("emailAddress") or "").lower()
        role = str(p.get("role") or "")
        if p.get("type") in ("user", "group") and email and role in ROLE_RANK \
                and ROLE_RANK[role] > ROLE_RANK.get(out.get(email, ""), 0):
            out[email] = role
    return out


def missing_grants(wanted: Mapping[str, str], held: Mapping[str, str]) -> list[tuple[str, str]]:
    """The permissions to add: never a lower role than someone holds, never a removal."""
    return [(email, role) for email, role in wanted.items()
            if ROLE_RANK.get(held.get(email, ""), 0) < ROLE_RANK[role]]


def public_links(permissions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Vietnamese descriptions of ``anyone``/``domain`` permissions (reported, never added)."""
    out = []
    for p in permissions:
        if p.get("type") == "anyone":
            out.append("bất kỳ ai có đường liên kết")
        elif p.get("type") == "domain":
            out.append(f"mọi người thuộc miền {p.get('domain')}")
    return out


def _expected(campaign: Campaign) -> list[registry.Unit]:
    excluded = set(campaign.excluded_units)
    return [u for u in registry.units(campaign.province_code) if u.code not in excluded]


def _api_message(exc: APIError) -> str:
    return f"Google báo lỗi {exc.code}: {exc.error.get('message', '')}"


def plan(setup: Setup) -> Plan:
    """What provisioning would do now; reads Drive (and, to adopt, the new sheets) only."""
    contacts = read_contacts(setup.campaign.contacts, setup.campaign.province_code)
    try:
        actor = setup.api.about_user() if setup.mode == "oauth" else setup.service_account
        result = Plan(setup.mode, setup.folder_id, actor, notes=list(contacts.problems))
        if setup.mode == "adopt":
            _plan_adopt(setup, contacts, result)
        else:
            _plan_create(setup, contacts, result)
    except APIError as exc:
        raise UserError(f"không đọc được Drive khi lập kế hoạch ({_api_message(exc)})") from None
    return result


def _folder(setup: Setup, actor: str) -> dict[str, Any]:
    if not setup.folder_id:
        raise ConfigError(f"{setup.campaign.source}: thiếu khóa "
                          "'backend.gsheets.provision.folder_id' (hoặc 'backend.gsheets.folder_id')"
                          ": thư mục Drive để tạo bảng tính của các đơn vị")
    try:
        folder = setup.api.file(setup.folder_id, "id,name,mimeType,driveId")
    except APIError as exc:
        if exc.code in (403, 404):
            raise UserError(f"không mở được thư mục Drive {setup.folder_id}: kiểm tra mã thư mục "
                            f"và chia sẻ nó (hoặc Drive dùng chung) cho {actor}") from None
        raise
    if folder.get("mimeType") != FOLDER_MIME:
        raise ConfigError(f"{setup.folder_id} ({folder.get('name')}) không phải một thư mục "
                          "Drive")
    return folder


def _plan_create(setup: Setup, contacts: Contacts, result: Plan) -> None:
    folder = _folder(setup, result.actor)
    members: dict[str, str] = {}
    if folder.get("driveId"):
        members = holders(setup.api.permissions(folder["driveId"]))
    elif setup.mode == "shared_drive":
        result.notes.append(
            f"Thư mục {folder.get('name')} ({setup.folder_id}) không thuộc Drive dùng chung: tài "
            "khoản dịch vụ không có dung lượng Drive riêng nên sẽ không tạo được bảng tính")
    recorded = {c.spreadsheet_id: code for code, c in contacts.by_code.items()
                if c.spreadsheet_id}
    units = {u.code: u for u in _expected(setup.campaign)}
    query = (f"'{setup.folder_id}' in parents and mimeType='{SHEET_MIME}' and trashed=false")
    found: dict[str, dict[str, Any]] = {}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for f in setup.api.files(query, LIST_FIELDS):
        code = recorded.get(f["id"])
        if code:
            found[code] = f
            continue
        codes = [c for c in _CODE_IN_NAME.findall(f.get("name", "")) if c in units]
        if len(codes) == 1:
            by_name.setdefault(codes[0], []).append(f)
        else:
            result.notes.append(f"Bảng tính \"{f.get('name')}\" ({f['id']}) trong thư mục không "
                                "gắn với đơn vị nào trong danh bạ; bỏ qua")
    owner = {result.actor.lower(): "owner"} if setup.mode == "oauth" else {}
    for code, unit in units.items():
        contact = contacts.get(code)
        wanted = desired_roles(setup, contact.email if contact else None)
        if code in found:
            step = Step(code, unit.name, found[code]["id"])
        elif code in by_name:
            candidates = sorted(by_name[code], key=lambda f: f.get("modifiedTime") or "",
                                reverse=True)
            for other in candidates[1:]:
                result.notes.append(f"Đơn vị {code} có thêm bảng tính \"{other.get('name')}\" "
                                    f"({other['id']}) trong thư mục; không dùng")
            if contact and contact.spreadsheet_id:
                result.notes.append(_elsewhere(code, contact.spreadsheet_id))
                continue
            chosen = candidates[0]
            found[code] = chosen
            step = Step(code, unit.name, chosen["id"], record=True)
            tabs = _tabs(setup, chosen["id"])
            if not any(layout.name in tabs for layout in _layouts(setup, unit)):
                step.layout, step.delete_ids = True, tuple(tabs.values())
        elif contact and contact.spreadsheet_id:
            result.notes.append(_elsewhere(code, contact.spreadsheet_id))
            continue
        else:
            step = Step(code, unit.name, None, layout=True,
                        grants=missing_grants(wanted, members | owner))
            result.steps.append(step)
            continue
        permissions = _permissions(setup.api, found[code])
        step.grants = missing_grants(wanted, members | holders(permissions))
        _note_public(result, code, step.sheet_id, permissions)
        if step.layout or step.grants or step.record:
            result.steps.append(step)
        else:
            result.ready.append(code)


def _elsewhere(code: str, sheet: str) -> str:
    return (f"Đơn vị {code} đã có bảng tính {sheet} trong danh bạ nhưng không thấy trong thư "
            "mục; không tạo bảng tính mới (xóa ô trong danh bạ nếu muốn tạo lại)")


def _permissions(api: Api, f: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A file's permissions: from the listing in My Drive, asked for in a Shared Drive (where
    Drive never lists them with the file)."""
    if "permissions" in f:
        return list(f["permissions"])
    return api.permissions(f["id"])


def _note_public(result: Plan, code: str, sheet: str | None,
                 permissions: Sequence[Mapping[str, Any]]) -> None:
    for link in public_links(permissions):
        result.notes.append(f"Bảng tính {sheet} của đơn vị {code} đang chia sẻ cho {link}: nên "
                            "tắt chia sẻ này")


def _tabs(setup: Setup, sheet_id: str) -> dict[str, int]:
    return setup.api.tab_ids(sheet_id)


def _layouts(setup: Setup, unit: registry.Unit) -> list[Any]:
    return workbook_layout(setup.form, unit, guide_texts(setup.campaign))


def layout_problems(form: Form, unit: registry.Unit, raw: Mapping[str, Any]) -> list[str]:
    """What is wrong with a sheet's layout (missing tabs, headers, columns, rows)."""
    parsed = parse_workbook(form, unit, dict(raw))
    return [issue.message for issue in parsed.issues if issue.rule in LAYOUT_RULES]


def _plan_adopt(setup: Setup, contacts: Contacts, result: Plan) -> None:
    units = {u.code: u for u in _expected(setup.campaign)}
    province = {u.code for u in registry.units(setup.campaign.province_code)}
    recorded = {c.spreadsheet_id: code for code, c in contacts.by_code.items()
                if c.spreadsheet_id}
    assert setup.campaign.backend.gsheets is not None
    summary = setup.campaign.backend.gsheets.summary_spreadsheet_id
    query = f"mimeType='{SHEET_MIME}' and trashed=false"
    if setup.folder_id:
        query += f" and '{setup.folder_id}' in parents"
    known: dict[str, dict[str, Any]] = {}
    offered: dict[str, list[tuple[dict[str, Any], list[str]]]] = {}
    for f in setup.api.files(query, LIST_FIELDS):
        if f["id"] == summary:
            continue
        if f["id"] in recorded:
            known[recorded[f["id"]]] = f
            continue
        try:
            spreadsheet = setup.api.spreadsheet(f["id"], GRID_FIELDS, grid=True)
        except APIError as exc:
            result.notes.append(f"Không đọc được bảng tính \"{f.get('name')}\" ({f['id']}): "
                                f"{_api_message(exc)}")
            continue
        raw = grid_to_raw(spreadsheet, (FEEDBACK_TAB,), (FEEDBACK_SHEET_ID,))
        code = find_unit_code(setup.form, raw)
        if code is None:
            result.notes.append(f"Bảng tính \"{f.get('name')}\" ({f['id']}) không ghi mã đơn vị "
                                "(ô cạnh \"Mã đơn vị\"); chưa nhận")
        elif code not in province:
            result.notes.append(f"Bảng tính \"{f.get('name')}\" ({f['id']}) ghi mã {code}, không "
                                "thuộc tỉnh; chưa nhận")
        elif code not in units:
            result.notes.append(f"Bảng tính \"{f.get('name')}\" ({f['id']}) của đơn vị {code} "
                                "không phải báo cáo (đơn vị được miễn); chưa nhận")
        else:
            problems = layout_problems(setup.form, units[code], raw)
            offered.setdefault(code, []).append((f, problems))
    for code, unit in units.items():
        contact = contacts.get(code)
        if code in known:
            f, step = known[code], Step(code, unit.name, known[code]["id"])
        elif code in offered:
            candidates = sorted(offered[code], key=lambda fp: fp[0].get("modifiedTime") or "",
                                reverse=True)
            for other, _ in candidates[1:]:
                result.notes.append(f"Đơn vị {code} có thêm bảng tính \"{other.get('name')}\" "
                                    f"({other['id']}); dùng bảng sửa gần nhất")
            if contact and contact.spreadsheet_id:
                for other, _ in candidates:
                    result.notes.append(f"Bảng tính {other['id']} ghi mã {code} nhưng danh bạ đã "
                                        f"có bảng tính {contact.spreadsheet_id}; không nhận")
                continue
            f, problems = candidates[0]
            step = Step(code, unit.name, f["id"], record=True, adopt=True, problems=problems)
        else:
            if contact and contact.spreadsheet_id:
                result.notes.append(f"Bảng tính {contact.spreadsheet_id} của đơn vị {code} (trong "
                                    "danh bạ) không còn chia sẻ cho tài khoản dịch vụ")
            else:
                result.missing.append(code)
            continue
        permissions = list(f.get("permissions") or [])
        held = holders(permissions)
        if ROLE_RANK.get(held.get(setup.service_account.lower(), ""), 0) < ROLE_RANK["writer"]:
            result.notes.append(f"Tài khoản dịch vụ chưa có quyền chỉnh sửa bảng tính {f['id']} "
                                f"của đơn vị {code}: xã cần chia sẻ quyền chỉnh sửa cho "
                                f"{setup.service_account}")
        else:
            wanted = desired_roles(setup, contact.email if contact else None)
            step.grants = missing_grants(wanted, held)
        _note_public(result, code, f["id"], permissions)
        if step.grants or step.record:
            result.steps.append(step)
        else:
            result.ready.append(code)
    if result.missing and setup.settings.template_url:
        result.notes.append(f"{len(result.missing)} đơn vị chưa có bảng tính: xã mở "
                            f"{setup.settings.template_url}, chọn Tệp > Tạo bản sao, ghi mã đơn vị "
                            f"rồi chia sẻ quyền chỉnh sửa cho {setup.service_account}")


# -- carrying it out ---------------------------------------------------------------------------
@dataclass
class Outcome:
    unit: str
    sheet_id: str | None
    created: bool = False
    laid_out: bool = False
    adopted: bool = False
    shared: list[tuple[str, str]] = field(default_factory=list)
    recorded: bool = False
    error: str | None = None

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["shared"] = [{"email": e, "role": r} for e, r in self.shared]
        data["url"] = sheet_url(self.sheet_id) if self.sheet_id else None
        return data


def _storage_message(setup: Setup) -> str:
    return (f"tài khoản dịch vụ {setup.service_account} không có dung lượng Drive riêng nên "
            f"không tạo được bảng tính trong thư mục {setup.folder_id} (Google trả lời 403 "
            "storageQuotaExceeded): dùng một thư mục trong Drive dùng chung có tài khoản dịch vụ "
            "là thành viên, hoặc đặt backend.gsheets.provision.mode là oauth hay adopt")


def apply(setup: Setup, steps: Sequence[Step]) -> list[Outcome]:
    """Carry the steps out, unit by unit; the contacts get every sheet that is complete, even
    when a fatal error (a service account without storage) stops the run."""
    outcomes: list[Outcome] = []
    try:
        for step in steps:
            outcomes.append(_apply_one(setup, step))
    finally:
        record(setup, outcomes)
    return outcomes


def _apply_one(setup: Setup, step: Step) -> Outcome:
    outcome = Outcome(step.unit, step.sheet_id, adopted=step.adopt)
    try:
        if step.sheet_id is None:
            title = TITLE.format(code=step.unit, name=step.name)
            try:
                outcome.sheet_id = setup.api.create(title, SHEET_MIME, str(setup.folder_id),
                                                "id")["id"]
            except APIError as exc:
                if error_reason(exc) == "storageQuotaExceeded":
                    raise StorageQuotaExceeded(_storage_message(setup)) from None
                if 400 <= exc.code < 500:  # the folder: every other unit would fail alike
                    raise UserError(f"không tạo được bảng tính trong thư mục {setup.folder_id}: "
                                    f"{_api_message(exc)}") from None
                raise
            outcome.created = True
        if step.layout:
            unit = registry.unit(step.unit)
            requests = layout_requests(_layouts(setup, unit), [setup.service_account],
                                       step.delete_ids)
            setup.api.batch_update(str(outcome.sheet_id), requests)
            outcome.laid_out = True
        outcome.recorded = step.record or outcome.created
        for email, role in step.grants:
            setup.api.share(str(outcome.sheet_id), email, role)
            outcome.shared.append((email, role))
    except APIError as exc:
        outcome.error = _api_message(exc)
    except Retryable as exc:
        outcome.error = str(exc)
    return outcome


def record(setup: Setup, outcomes: Sequence[Outcome]) -> int:
    """Write the spreadsheets that are laid out (or adopted) into the contacts."""
    sheets = {o.unit: o.sheet_id for o in outcomes if o.recorded and o.sheet_id}
    names = {code: registry.unit(code).name for code in sheets}
    return record_spreadsheets(setup.campaign.contacts, sheets, names)  # type: ignore[arg-type]


def summarize(result: Plan, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The run as JSON: counts, every unit touched, failures, notes."""
    failed = [o for o in outcomes if o.error]
    return {
        "mode": result.mode, "folder_id": result.folder_id, "actor": result.actor,
        "created": sum(o.created for o in outcomes),
        "laid_out": sum(o.laid_out for o in outcomes),
        "adopted": sum(o.adopted and o.recorded for o in outcomes),
        "shared": sum(len(o.shared) for o in outcomes),
        "recorded": sum(o.recorded for o in outcomes),
        "ready": len(result.ready), "missing": result.missing,
        "failed": [{"unit": o.unit, "error": o.error} for o in failed],
        "units": [o.public() for o in outcomes], "notes": result.notes,
        "problems": {s.unit: s.problems for s in result.steps if s.problems},
    }


def summary_markdown(result: Mapping[str, Any]) -> str:
    """The run for the Prefect UI."""
    lines = [f"# Cấp bảng tính — {MODE_VI.get(result['mode'], result['mode'])}", "",
             f"Tạo mới {result['created']}, nhận {result['adopted']}, thêm quyền "
             f"{result['shared']}, ghi vào danh bạ {result['recorded']}; đã sẵn sàng từ trước "
             f"{result['ready']}; chưa có bảng tính {len(result['missing'])}; lỗi "
             f"{len(result['failed'])}.", ""]
    if result["failed"]:
        lines += ["| Mã | Lỗi |", "| --- | --- |"]
        lines += [f"| {f['unit']} | {str(f['error']).replace('|', '/')} |"
                  for f in result["failed"]]
        lines.append("")
    lines += [f"- {note}" for note in result["notes"]]
    return "\n".join(lines)
