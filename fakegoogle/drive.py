"""Drive API v3: files list/get/create/copy/update/delete, permissions create/list/delete (of a
file or of a shared drive), about.get.

As Google does, a shared-drive item's ``permissions`` field is never populated in files
resources (list them with permissions.list), and its members' access comes from the drive.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from fakegoogle import fields
from fakegoogle.errors import (
    GoogleError,
    drive_error,
    drive_forbidden,
    drive_not_found,
    storage_quota_exceeded,
)
from fakegoogle.model import FOLDER_MIME, ROLE_RANK, SHEET_MIME, DriveFile, parse_time, rfc3339

if TYPE_CHECKING:
    from fakegoogle.fake import FakeGoogle, Request

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/drive/v3/files$"), "drive.files.list"),
    ("POST", re.compile(r"^/drive/v3/files$"), "drive.files.create"),
    ("GET", re.compile(r"^/drive/v3/files/([^/]+)$"), "drive.files.get"),
    ("PATCH", re.compile(r"^/drive/v3/files/([^/]+)$"), "drive.files.update"),
    ("DELETE", re.compile(r"^/drive/v3/files/([^/]+)$"), "drive.files.delete"),
    ("POST", re.compile(r"^/drive/v3/files/([^/]+)/copy$"), "drive.files.copy"),
    ("GET", re.compile(r"^/drive/v3/files/([^/]+)/permissions$"), "drive.permissions.list"),
    ("POST", re.compile(r"^/drive/v3/files/([^/]+)/permissions$"), "drive.permissions.create"),
    ("DELETE", re.compile(r"^/drive/v3/files/([^/]+)/permissions/([^/]+)$"),
     "drive.permissions.delete"),
    ("GET", re.compile(r"^/drive/v3/files/([^/]+)/comments$"), "drive.comments.list"),
    ("GET", re.compile(r"^/drive/v3/about$"), "drive.about.get"),
]


def route(method: str, path: str) -> tuple[str, str | None, str | None] | None:
    for verb, pattern, kind in _ROUTES:
        match = pattern.match(path)
        if match and verb == method:
            groups = [unquote(g) for g in match.groups()]
            return kind, (groups[0] if groups else None), (groups[1] if len(groups) > 1
                                                           else None)
    return None


def handle(fake: FakeGoogle, req: Request, user: str) -> tuple[int, Any]:
    api = DriveApi(fake, req, user)
    handler: Callable[..., tuple[int, Any]] = getattr(api, req.kind.split(".", 1)[1]
                                                      .replace(".", "_"))
    return handler(req.spreadsheet_id, req.range)


def _invalid(location: str, message: str = "Invalid Value") -> GoogleError:
    return drive_error(400, message, "invalid", location=location)


# ---------------------------------------------------------------- q

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<op><=|>=|!=|=|<|>)
                    |(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""", re.X)


class QueryError(ValueError):
    pass


def _lex(q: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        match = _TOKEN.match(q, pos)
        if not match or match.end() == pos:
            raise QueryError(q)
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        out.append((kind, text))
        pos = match.end()
    return out


Pred = Callable[[DriveFile, str], bool]


class _Parser:
    """``clause (and|or clause)*`` with ``not`` and parentheses, as Drive's ``q`` reads."""

    def __init__(self, fake: FakeGoogle, tokens: list[tuple[str, str]]) -> None:
        self.fake = fake
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise QueryError("unexpected end")
        self.pos += 1
        return tok

    def word(self, *words: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() in words:
            self.pos += 1
            return True
        return False

    def parse(self) -> Pred:
        pred = self.expr()
        if self.peek() is not None:
            raise QueryError("trailing tokens")
        return pred

    def expr(self) -> Pred:
        preds = [self.term()]
        while self.word("or"):
            preds.append(self.term())
        return preds[0] if len(preds) == 1 else (lambda f, u: any(p(f, u) for p in preds))

    def term(self) -> Pred:
        preds = [self.factor()]
        while self.word("and"):
            preds.append(self.factor())
        return preds[0] if len(preds) == 1 else (lambda f, u: all(p(f, u) for p in preds))

    def factor(self) -> Pred:
        if self.word("not"):
            inner = self.factor()
            return lambda f, u: not inner(f, u)
        tok = self.peek()
        if tok == ("paren", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise QueryError("missing )")
            return inner
        return self.clause()

    def clause(self) -> Pred:
        first = self.take()
        if first[0] == "str":
            if not self.word("in"):
                raise QueryError("expected in")
            return self.membership(first[1], self.take()[1])
        if first[0] != "word":
            raise QueryError(str(first))
        name = first[1]
        if self.word("in"):  # gspread 6.2.1 writes `parents in "<folder id>"`
            return self.membership(self.take()[1], name)
        if self.word("contains"):
            value = self.take()
            return self.compare(name, "contains", value)
        op = self.take()
        if op[0] != "op":
            raise QueryError(str(op))
        return self.compare(name, op[1], self.take())

    def membership(self, value: str, collection: str) -> Pred:
        fake = self.fake
        if collection == "parents":
            return lambda f, u: value in f.parents
        if collection in ("owners", "writers", "readers"):
            need = {"owners": "owner", "writers": "writer", "readers": "reader"}[collection]

            def member(f: DriveFile, _u: str) -> bool:
                role = fake.role(value, f)
                return role is not None and ROLE_RANK[role] >= ROLE_RANK[need] and (
                    need != "owner" or f.owner == value)

            return member
        raise QueryError(collection)

    def compare(self, name: str, op: str, token: tuple[str, str]) -> Pred:
        kind, raw = token
        ops: dict[str, Callable[[Any, Any], bool]] = {
            "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
            "contains": lambda a, b: b.lower() in a.lower()}
        fn = ops[op]
        if name in ("trashed", "starred", "sharedWithMe"):
            if kind != "word" or raw.lower() not in ("true", "false") or op not in ("=", "!="):
                raise QueryError(name)
            want = raw.lower() == "true"
            if name == "trashed":
                return lambda f, u: fn(f.trashed, want)
            if name == "starred":
                return lambda f, u: fn(False, want)
            return lambda f, u: fn(f.owner is not None and f.owner != u
                                   and f.drive_id is None, want)
        if kind != "str":
            raise QueryError(name)
        if name in ("modifiedTime", "createdTime"):
            if op == "contains":
                raise QueryError(name)
            try:
                ms = parse_time(raw)
            except ValueError:
                raise QueryError(raw) from None
            if name == "modifiedTime":
                return lambda f, u: fn(f.modified_ms, ms)
            return lambda f, u: fn(f.created_ms, ms)
        if name in ("name", "title"):
            if op not in ("=", "!=", "contains"):
                raise QueryError(name)
            if op == "contains":  # Drive matches name prefixes of words; close enough here
                return lambda f, u: fn(f.name, raw)
            return lambda f, u: fn(f.name, raw)
        if name == "mimeType":
            if op not in ("=", "!=", "contains"):
                raise QueryError(name)
            return lambda f, u: fn(f.mime_type, raw)
        if name == "fullText" and op == "contains":
            return lambda f, u: fn(f"{f.name} {f.description or ''}", raw)
        raise QueryError(name)


def compile_query(fake: FakeGoogle, q: str | None) -> Pred:
    if not q or not q.strip():
        return lambda f, u: True
    return _Parser(fake, _lex(q)).parse()


# ---------------------------------------------------------------- resources


def file_json(fake: FakeGoogle, f: DriveFile, user: str) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "drive#file", "id": f.id, "name": f.name,
                           "mimeType": f.mime_type}
    if f.description:
        out["description"] = f.description
    out.update({"starred": False, "trashed": f.trashed, "explicitlyTrashed": f.trashed,
                "parents": list(f.parents), "spaces": ["drive"], "version": "1",
                "webViewLink": _link(f), "iconLink": "",
                "createdTime": rfc3339(f.created_ms), "modifiedTime": rfc3339(f.modified_ms),
                "modifiedByMeTime": rfc3339(f.modified_ms) if f.last_modifier == user else None,
                "shared": len(f.permissions) > 0 or f.drive_id is not None})
    if f.drive_id:
        out["driveId"] = f.drive_id
        out["teamDriveId"] = f.drive_id
    else:
        out["ownedByMe"] = f.owner == user
        if f.owner:
            out["owners"] = [fake.user_json(f.owner, user)]
    if f.last_modifier:
        out["lastModifyingUser"] = fake.user_json(f.last_modifier, user)
    if not f.drive_id:  # never populated for shared-drive items
        out["permissions"] = permissions_json(fake, f)
    role = fake.role(user, f)
    can_edit = role is not None and ROLE_RANK[role] >= ROLE_RANK["writer"]
    out["capabilities"] = {"canEdit": can_edit, "canShare": can_edit,
                           "canCopy": role is not None, "canDelete": role in ("owner",
                                                                              "organizer")}
    return {k: v for k, v in out.items() if v is not None}


def _link(f: DriveFile) -> str:
    if f.mime_type == SHEET_MIME:
        return f"https://docs.google.com/spreadsheets/d/{f.id}/edit?usp=drivesdk"
    if f.mime_type == FOLDER_MIME:
        return f"https://drive.google.com/drive/folders/{f.id}"
    return f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk"


def permissions_json(fake: FakeGoogle, f: DriveFile) -> list[dict[str, Any]]:
    out = []
    if f.owner:
        out.append({"kind": "drive#permission", "id": fake.permission_id(f.owner),
                    "type": "user", "emailAddress": f.owner, "role": "owner",
                    "displayName": f.owner.split("@")[0], "deleted": False,
                    "pendingOwner": False})
    for p in f.permissions:
        item = {"kind": "drive#permission", **copy.deepcopy(p)}
        if p.get("emailAddress"):
            item.setdefault("displayName", p["emailAddress"].split("@")[0])
        item.setdefault("deleted", False)
        item.setdefault("pendingOwner", False)
        out.append(item)
    return out


DEFAULT_FILE = {"kind": None, "id": None, "name": None, "mimeType": None}
DEFAULT_PERMISSION = {"kind": None, "id": None, "type": None, "role": None}


class DriveApi:
    def __init__(self, fake: FakeGoogle, req: Request, user: str) -> None:
        self.fake = fake
        self.req = req
        self.user = user

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.req.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("true", "1")

    def mask(self, default: dict[str, Any]) -> fields.Mask:
        try:
            mask = fields.parse(self.param("fields"))
        except fields.MaskError:
            raise _invalid("fields", "Invalid field selection " +
                           (self.param("fields") or "")) from None
        return default if mask is None else mask

    def body(self) -> dict[str, Any]:
        body = self.req.json
        return body if isinstance(body, dict) else {}

    # -- access

    def visible(self, f: DriveFile) -> bool:
        if f.drive_id and not self.flag("supportsAllDrives") and not self.flag(
                "supportsTeamDrives"):
            return False
        return self.fake.role(self.user, f) is not None

    def file(self, file_id: str) -> DriveFile:
        f = self.fake.files.get(file_id)
        if f is None or not self.visible(f):
            raise drive_not_found(file_id)
        return f

    def require(self, f: DriveFile, role: str) -> None:
        have = self.fake.role(self.user, f)
        if have is None or ROLE_RANK[have] < ROLE_RANK[role]:
            raise drive_forbidden()

    def place(self, parents: list[str] | None, mime: str) -> tuple[list[str], str | None,
                                                                   str | None]:
        """Where a new file goes: (parents, owner, shared drive id); 403 without storage."""
        if parents and len(parents) > 1:
            raise drive_forbidden("Increasing the number of parents is not allowed.",
                                  "cannotAddParent")
        if not parents:
            if mime != FOLDER_MIME and not self.fake.has_storage(self.user):
                raise storage_quota_exceeded()
            return [], self.user, None
        parent_id = parents[0]
        drive = self.fake.drives.get(parent_id)
        if drive is not None:  # the root of a shared drive
            if not (self.flag("supportsAllDrives") or self.flag("supportsTeamDrives")):
                raise drive_not_found(parent_id)
            role = drive.members.get(self.user)
            if role is None:
                raise drive_not_found(parent_id)
            if ROLE_RANK[role] < ROLE_RANK["writer"]:
                raise drive_forbidden("Insufficient permissions for the specified parent.",
                                      "insufficientParentPermissions")
            return [parent_id], None, drive.id
        folder = self.fake.files.get(parent_id)
        if folder is None or not self.visible(folder):
            raise drive_not_found(parent_id)
        if folder.mime_type != FOLDER_MIME:
            raise drive_error(400, "The specified parent is not a folder.", "invalidParent",
                              location="parents")
        role = self.fake.role(self.user, folder)
        if role is None or ROLE_RANK[role] < ROLE_RANK["writer"]:
            raise drive_forbidden("Insufficient permissions for the specified parent.",
                                  "insufficientParentPermissions")
        if folder.drive_id:
            return [parent_id], None, folder.drive_id
        if mime != FOLDER_MIME and not self.fake.has_storage(self.user):
            raise storage_quota_exceeded()
        return [parent_id], self.user, None

    def out(self, f: DriveFile, mask: fields.Mask) -> dict[str, Any]:
        return fields.apply(file_json(self.fake, f, self.user), mask)

    # -- files

    def files_list(self, _a: str | None, _b: str | None) -> tuple[int, Any]:
        try:
            size = int(self.param("pageSize", "100") or "100")
        except ValueError:
            raise _invalid("pageSize") from None
        if not 1 <= size <= 1000:
            raise _invalid("pageSize", f"Invalid value '{size}'. Values must be within the "
                           "range: [1, 1000]")
        try:
            pred = compile_query(self.fake, self.param("q"))
        except QueryError:
            raise _invalid("q") from None
        token = self.param("pageToken")
        offset = 0
        if token:
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])
            except (ValueError, IndexError, UnicodeDecodeError):
                raise _invalid("pageToken") from None
        all_drives = self.flag("includeItemsFromAllDrives") or self.flag(
            "includeTeamDriveItems")
        supports = self.flag("supportsAllDrives") or self.flag("supportsTeamDrives")
        corpora = self.param("corpora", "user")
        drive_id = self.param("driveId")
        if (all_drives or corpora in ("drive", "allDrives")) and not supports:
            raise drive_error(403, "The includeItemsFromAllDrives parameter can only be set to "
                              "true when supportsAllDrives is also set to true.",
                              "teamDriveItemsOnlyNotSupported")
        found = []
        for f in self.fake.files.values():
            if f.drive_id and not all_drives and corpora not in ("drive", "allDrives"):
                continue
            if corpora == "drive" and f.drive_id != drive_id:
                continue
            if self.fake.role(self.user, f) is None or not pred(f, self.user):
                continue
            found.append(f)
        for key, desc in reversed(_order(self.param("orderBy"))):
            found.sort(key=key, reverse=desc)
        page = found[offset:offset + size]
        mask = self.mask({"kind": None, "incompleteSearch": None, "nextPageToken": None,
                          "files": DEFAULT_FILE})
        body: dict[str, Any] = {}
        if offset + size < len(found):
            body["nextPageToken"] = base64.urlsafe_b64encode(
                f"o:{offset + size}".encode()).decode()
        body.update({"kind": "drive#fileList", "incompleteSearch": False})
        want_files, files_mask = fields.pick(mask, "files")
        if want_files:
            body["files"] = [self.out(f, files_mask) for f in page]
        return 200, {k: v for k, v in body.items() if fields.pick(mask, k)[0]}

    def files_get(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        return 200, self.out(self.file(file_id), self.mask(DEFAULT_FILE))

    def files_create(self, _a: str | None, _b: str | None) -> tuple[int, Any]:
        body = self.body()
        mime = body.get("mimeType") or "application/octet-stream"
        parents, owner, drive_id = self.place(body.get("parents"), mime)
        fid = self.fake.create_file(body.get("name") or "Untitled", mime, parents, owner,
                                    drive_id=drive_id, description=body.get("description"),
                                    creator=self.user)
        return 200, self.out(self.fake.files[fid], self.mask(DEFAULT_FILE))

    def files_copy(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        source = self.file(file_id)
        if source.mime_type == FOLDER_MIME:
            raise drive_forbidden("This file cannot be copied by the user.", "cannotCopyFile")
        body = self.body()
        parents = body.get("parents")
        if parents is None:
            # Drive copies beside the source when the user may write there.
            parents = [p for p in source.parents[:1]
                       if p in self.fake.drives or (p in self.fake.files and self.fake.role(
                           self.user, self.fake.files[p]) in ("writer", "fileOrganizer",
                                                              "organizer", "owner"))]
        parents, owner, drive_id = self.place(parents, source.mime_type)
        fid = self.fake.create_file(body.get("name") or f"Copy of {source.name}",
                                    source.mime_type, parents, owner, drive_id=drive_id,
                                    description=body.get("description"), copy_of=source.id,
                                    creator=self.user)
        return 200, self.out(self.fake.files[fid], self.mask(DEFAULT_FILE))

    def files_update(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        f = self.file(file_id)
        self.require(f, "writer")
        body = self.body()
        if "name" in body:
            f.name = body["name"]
        if "description" in body:
            f.description = body["description"]
        if "trashed" in body:
            f.trashed = bool(body["trashed"])
        add = [p for p in (self.param("addParents") or "").split(",") if p]
        remove = [p for p in (self.param("removeParents") or "").split(",") if p]
        if add:
            parents, _, drive_id = self.place(add, FOLDER_MIME)
            if drive_id != f.drive_id:
                raise drive_forbidden("Moving files between My Drive and shared drives is not "
                                      "supported by the fake.", "cannotMoveFile")
            f.parents = [p for p in f.parents if p not in remove] + parents
        elif remove:
            f.parents = [p for p in f.parents if p not in remove]
        self.fake.touch(f.id, self.user)
        return 200, self.out(f, self.mask(DEFAULT_FILE))

    def files_delete(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        f = self.file(file_id)
        role = self.fake.role(self.user, f)
        if role not in ("owner", "organizer"):
            raise drive_forbidden()
        self.fake.delete_file(f.id)
        return 204, None

    # -- permissions

    def permissions_list(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        mask = self.mask({"kind": None, "permissions": DEFAULT_PERMISSION})
        drive = self.fake.drives.get(file_id)
        if drive is not None:  # a shared drive's members
            if not (self.flag("supportsAllDrives") or self.flag("supportsTeamDrives")) \
                    or self.user not in drive.members:
                raise drive_not_found(file_id)
            members = [{"kind": "drive#permission", "id": self.fake.permission_id(email),
                        "type": "user", "emailAddress": email, "role": role,
                        "displayName": email.split("@")[0], "deleted": False,
                        "pendingOwner": False} for email, role in drive.members.items()]
            return 200, fields.apply({"kind": "drive#permissionList", "permissions": members},
                                     mask)
        f = self.file(file_id)
        return 200, fields.apply({"kind": "drive#permissionList",
                                  "permissions": permissions_json(self.fake, f)}, mask)

    def permissions_create(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        f = self.file(file_id)
        self.require(f, "writer")
        body = self.body()
        kind, role = body.get("type"), body.get("role")
        if kind not in ("user", "group", "domain", "anyone"):
            raise drive_error(400, "The permission type field is required.", "required",
                              location="permission.type")
        if role not in ROLE_RANK:
            raise drive_error(400, "The permission role field is required.", "required",
                              location="permission.role")
        email = body.get("emailAddress")
        if kind in ("user", "group") and not email:
            raise drive_error(400, "The permission emailAddress field is required.",
                              "required", location="permission.emailAddress")
        if role == "owner":
            if not self.flag("transferOwnership"):
                raise drive_forbidden("The transferOwnership parameter must be enabled when "
                                      "the permission role is 'owner'.", "forbidden")
            if f.drive_id or f.owner != self.user:
                raise drive_forbidden()
            previous = f.owner
            f.owner = email
            f.permissions = [p for p in f.permissions if p.get("emailAddress") != email]
            if previous:
                f.permissions.append({"id": self.fake.permission_id(previous), "type": "user",
                                      "emailAddress": previous, "role": "writer"})
            perm = {"id": self.fake.permission_id(email), "type": "user",
                    "emailAddress": email, "role": "owner"}
            return 200, fields.apply({"kind": "drive#permission", **perm},
                                     self.mask(DEFAULT_PERMISSION))
        perm: dict[str, Any] = {"type": kind, "role": role}
        if kind in ("user", "group"):
            perm["id"] = self.fake.permission_id(email)
            perm["emailAddress"] = email
        elif kind == "domain":
            perm["id"] = self.fake.permission_id("domain:" + str(body.get("domain")))
            perm["domain"] = body.get("domain")
        else:
            perm["id"] = "anyoneWithLink"
        perm = {"id": perm.pop("id"), **perm}
        f.permissions = [p for p in f.permissions if p["id"] != perm["id"]] + [perm]
        if kind in ("user", "group") and (self.param("sendNotificationEmail") or "true"
                                          ).lower() != "false":
            self.fake.notifications.append((f.id, email, role))
        return 200, fields.apply({"kind": "drive#permission", **perm},
                                 self.mask(DEFAULT_PERMISSION))

    def about_get(self, _a: str | None, _b: str | None) -> tuple[int, Any]:
        """Who is calling (``fields`` is required, as in Drive v3)."""
        if not self.param("fields"):
            raise drive_error(400, "The 'fields' parameter is required for this method.",
                              "required", location="fields")
        return 200, fields.apply({"kind": "drive#about",
                                  "user": self.fake.user_json(self.user, self.user)},
                                 self.mask({"kind": None}))

    def comments_list(self, file_id: str, _b: str | None) -> tuple[int, Any]:
        """Comments are not modelled: every file has none."""
        self.file(file_id)
        return 200, fields.apply({"kind": "drive#commentList", "comments": []},
                                 self.mask({"kind": None, "comments": None}))

    def permissions_delete(self, file_id: str, permission_id: str | None) -> tuple[int, Any]:
        f = self.file(file_id)
        self.require(f, "writer")
        before = len(f.permissions)
        f.permissions = [p for p in f.permissions if p["id"] != permission_id]
        if len(f.permissions) == before:
            raise drive_error(404, f"Permission not found: {permission_id}.", "notFound",
                              location="permissionId")
        return 204, None


def _order(order_by: str | None) -> list[tuple[Callable[[DriveFile], Any], bool]]:
    keys: dict[str, Callable[[DriveFile], Any]] = {
        "modifiedTime": lambda f: f.modified_ms, "createdTime": lambda f: f.created_ms,
        "name": lambda f: f.name, "name_natural": lambda f: f.name,
        "folder": lambda f: f.mime_type != FOLDER_MIME, "recency": lambda f: f.modified_ms}
    out = []
    for part in (order_by or "").split(","):
        words = part.split()
        if not words:
            continue
        if words[0] not in keys:
            raise _invalid("orderBy")
        out.append((keys[words[0]], len(words) > 1 and words[1].lower() == "desc"))
    return out
