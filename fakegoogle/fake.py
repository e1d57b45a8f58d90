"""FakeGoogle: the state, the controls tests and benchmarks use, and request dispatch.

Pointing clients at it (no monkeypatching): ``fake.adapter()`` is a requests ``HTTPAdapter``
that sends ``https://sheets.googleapis.com/...``, ``https://www.googleapis.com/...`` and
``https://oauth2.googleapis.com/...`` to ``http://127.0.0.1:<port>/<host>/<path>`` (and refuses
any other host). Mount it for ``https://`` on gspread's session *and* on the session
google-auth refreshes tokens with::

    with FakeGoogle() as fake:
        creds = fake.credentials()                     # service account, local RSA key
        session = fake.authorized_session(creds)       # API calls + token refresh -> fake
        client = gspread.Client(creds, session=session)   # or fake.gspread_client()

Anything that takes an endpoint can use ``fake.url`` + ``/<host>/<path>`` directly.

Controls: ``add_folder``/``add_shared_drive``/``add_spreadsheet``/``share`` seed state;
``values``/``cells``/``cell``/``tabs``/``file``/``spreadsheet`` read it back; ``write`` and
``rename_tab`` edit as a person would (modifiedTime moves); none of these is HTTP or counted.
``set_latency``, ``set_quota`` (per user, reads and writes apart, sliding window),
``inject_faults`` (429/500/503/timeout/reset on a seeded fraction), ``revoke_tokens``;
``counts()``, ``counts(spreadsheet_id)``, ``requests()`` (a log with times and statuses),
``stats.snapshot()``, ``reset_counts()``; ``conformance`` (every successful answer checked
against Google's discovery documents, see :mod:`fakegoogle.schema`; ``check_schema=False``
turns it off).

Not faked: formulas beyond plain arithmetic (others show ``#N/A`` unless seeded with a value);
number-format patterns in FORMATTED_VALUE; Drive's quota (only Sheets is rate-limited);
Drive comments (always none); Google's exact table detection in ``values.append``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import random
import string
import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from fakegoogle import auth, cells, drive, grid, sheets
from fakegoogle.a1 import Box, RangeError, parse_cells, split_range
from fakegoogle.errors import (
    INSUFFICIENT_SCOPES,
    GoogleError,
    drive_error,
    quota_exceeded,
    server_error,
    sheets_error,
    unauthenticated,
)
from fakegoogle.faults import Faults, Latency, Quota, Record, Stats
from fakegoogle.model import (
    DRIVE_ROLE,
    FOLDER_MIME,
    ROLE_RANK,
    SHEET_MIME,
    DriveFile,
    SharedDrive,
    Sheet,
    Spreadsheet,
    parse_time,
)
from fakegoogle.schema import Conformance
from fakegoogle.server import GOOGLE_HOSTS, LoopbackAdapter, LoopbackServer, Reply

DEFAULT_SERVICE_ACCOUNT = "ttcs-bot@ttcs-fake.iam.gserviceaccount.com"
DEFAULT_OWNER = "coordinator@example.com"
OAUTH_CLIENT_ID = "123456789012-fake.apps.googleusercontent.com"
OAUTH_CLIENT_SECRET = "GOCSPX-fake-secret"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",
          "https://www.googleapis.com/auth/drive")
_ID_CHARS = string.ascii_letters + string.digits + "-_"

TimeLike = dt.datetime | str | float | int


def _ms(value: TimeLike | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return round(value.timestamp() * 1000)
    if isinstance(value, str):
        return parse_time(value)
    return round(float(value) * 1000)


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    api: str = ""  # sheets, drive, token
    kind: str = "unknown"
    spreadsheet_id: str | None = None
    range: str | None = None
    json: Any = field(default=None)


class FakeGoogle:
    """Sheets v4, Drive v3 and the OAuth token endpoint on a loopback server.

    Use as a context manager (or ``start()``/``stop()``). Point clients at it with
    :meth:`session`, :meth:`authorized_session` or :meth:`gspread_client`, which mount
    :meth:`adapter` for ``https://``. Seeding and reading back (``add_*``, ``values``,
    ``write``) go straight to the state: no HTTP, not counted.
    """

    def __init__(self, *, seed: int = 0, project_number: str = "123456789012",
                 token_lifetime_s: float = auth.TOKEN_LIFETIME_S,
                 check_schema: bool = True) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.project_number = project_number
        self.token_lifetime_s = token_lifetime_s
        self.files: dict[str, DriveFile] = {}
        self.books: dict[str, Spreadsheet] = {}
        self.drives: dict[str, SharedDrive] = {}
        self.accounts: dict[str, auth.Account] = {}
        self.tokens = auth.Tokens()
        self.stats = Stats()
        self.quota = Quota(None, None)
        self.faults = Faults()
        self.latency = Latency()
        self._server: LoopbackServer | None = None
        self.internal_errors: list[str] = []  # tracebacks of bugs in the fake (answered 500)
        # Every successful Sheets/Drive answer checked against Google's discovery documents;
        # leaving the ``with`` block raises SchemaViolation if one did not conform.
        self.conformance = Conformance() if check_schema else None
        # (file id, email, role) of every sharing Drive would have told the person about by
        # e-mail (permissions.create without sendNotificationEmail=false).
        self.notifications: list[tuple[str, str, str]] = []
        self.add_service_account(DEFAULT_SERVICE_ACCOUNT)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeGoogle:
        if self._server is None:
            self._server = LoopbackServer(self._serve)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.stop()
        if exc_type is None and self.conformance is not None and self.conformance.problems:
            raise SchemaViolation(self.conformance.problems)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; Google URLs map to ``<url>/<host>/<path>``."""
        if self._server is None:
            raise RuntimeError("FakeGoogle is not started")
        return self._server.url

    # ------------------------------------------------------------ clients

    def adapter(self, **kwargs: Any) -> LoopbackAdapter:
        """A requests adapter sending Google's https URLs to this fake."""
        return LoopbackAdapter(self.url, GOOGLE_HOSTS, **kwargs)

    def mount(self, session: requests.Session) -> requests.Session:
        session.mount("https://", self.adapter())
        return session

    def session(self) -> requests.Session:
        return self.mount(requests.Session())

    @property
    def service_account_email(self) -> str:
        return DEFAULT_SERVICE_ACCOUNT

    def add_service_account(self, email: str, *, has_storage: bool = False,
                            key_slot: int = 0, project_id: str = "ttcs-fake") -> auth.Account:
        """Register a service account (a locally generated RSA key). Service accounts have no
        Drive storage unless ``has_storage``."""
        private = auth.generate_key(key_slot)
        key_id = hashlib.sha1(f"{email}:{key_slot}".encode()).hexdigest()
        account = auth.Account(email, private, auth.public_pem(private), key_id, has_storage,
                               project_id)
        with self.lock:
            self.accounts[email] = account
        return account

    def service_account_info(self, email: str = DEFAULT_SERVICE_ACCOUNT) -> dict[str, Any]:
        """A service-account key dict, ``token_uri`` https://oauth2.googleapis.com/token."""
        return auth.service_account_info(self.accounts[email])

    def credentials(self, email: str = DEFAULT_SERVICE_ACCOUNT,
                    scopes: Sequence[str] = SCOPES) -> Any:
        from google.oauth2.service_account import Credentials

        return Credentials.from_service_account_info(self.service_account_info(email),
                                                     scopes=list(scopes))

    def authorized_session(self, credentials: Any = None) -> Any:
        """google-auth's AuthorizedSession whose API calls and token refreshes both reach
        this fake."""
        from google.auth.transport.requests import AuthorizedSession
        from google.auth.transport.requests import Request as AuthRequest

        creds = credentials or self.credentials()
        session = AuthorizedSession(creds, auth_request=AuthRequest(session=self.session()))
        self.mount(session)
        return session

    def gspread_client(self, credentials: Any = None, timeout: float | None = None) -> Any:
        import gspread

        creds = credentials or self.credentials()
        client = gspread.Client(creds, session=self.authorized_session(creds))
        if timeout is not None:
            client.set_timeout(timeout)
        return client

    def access_token(self, email: str = DEFAULT_SERVICE_ACCOUNT,
                     scopes: Sequence[str] = SCOPES) -> str:
        """A valid Bearer token for anyone (e.g. a human's OAuth token), minted directly."""
        with self.lock:
            return self.tokens.issue(email, frozenset(scopes), self.token_lifetime_s)

    def authorized_user_info(self, email: str = DEFAULT_OWNER,
                             scopes: Sequence[str] = SCOPES, *,
                             expired: bool = False) -> dict[str, Any]:
        """A person's cached OAuth token, as an installed app saves it
        (``google.oauth2.credentials.Credentials.to_json()``): an access token for ``email``
        (already expired with ``expired``) and a refresh token the token endpoint honours."""
        client_id = OAUTH_CLIENT_ID
        with self.lock:
            refresh = self.tokens.grant(email, client_id, OAUTH_CLIENT_SECRET,
                                        frozenset(scopes))
            token = self.tokens.issue(email, frozenset(scopes),
                                      -1.0 if expired else self.token_lifetime_s)
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(
            seconds=-60 if expired else self.token_lifetime_s - 60)
        return {"token": token, "refresh_token": refresh, "token_uri": auth.TOKEN_URI,
                "client_id": client_id, "client_secret": OAUTH_CLIENT_SECRET,
                "scopes": list(scopes),
                "expiry": expiry.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"}

    def oauth_client_info(self) -> dict[str, Any]:
        """An installed app's client file (client_secret.json) as the Cloud console gives it."""
        return {"installed": {"client_id": OAUTH_CLIENT_ID, "client_secret": OAUTH_CLIENT_SECRET,
                              "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                              "token_uri": auth.TOKEN_URI,
                              "redirect_uris": ["http://localhost"]}}

    def revoke_tokens(self) -> None:
        """Every issued token becomes invalid: the next call answers 401."""
        with self.lock:
            self.tokens.revoke_all()

    # ------------------------------------------------------------ controls

    def set_latency(self, seconds: float | tuple[float, float], seed: int = 0) -> None:
        low, high = (seconds, seconds) if isinstance(seconds, int | float) else seconds
        self.latency = Latency(float(low), float(high), seed)

    def set_quota(self, read: int | None = 60, write: int | None = 60,
                  window_s: float = 60.0) -> None:
        """Per-user read/write limits over a sliding window (``None``: unlimited). Off by
        default; Google's is 60 and 60 per 60 s."""
        self.quota = Quota(read, write, window_s)

    def inject_faults(self, fraction: float, kinds: Iterable[str] | Mapping[str, float] = (
            "429", "500", "503", "timeout"), *, seed: int = 0, timeout_s: float = 30.0,
                      only: Iterable[str] | None = None,
                      retry_after_s: float | None = None) -> None:
        """Fail ``fraction`` of requests (seeded): 429, 500, 503, ``timeout`` (held
        ``timeout_s`` then dropped) or ``reset`` (dropped at once). ``only`` limits faults to
        those request kinds; token requests never fail unless listed there."""
        weights = dict(kinds) if isinstance(kinds, Mapping) else {k: 1.0 for k in kinds}
        self.faults = Faults(fraction, weights, seed, timeout_s,
                             frozenset(only) if only is not None else None, retry_after_s)

    def clear_faults(self) -> None:
        self.faults = Faults()

    def counts(self, spreadsheet_id: str | None = None) -> dict[str, int]:
        """Requests received by kind (``token``, ``sheets.get``, ``values.batchGet``,
        ``drive.files.list``, ...), overall or on one spreadsheet."""
        return self.stats.counts(spreadsheet_id)

    def status_counts(self) -> dict[int, int]:
        return self.stats.snapshot()["by_status"]  # type: ignore[return-value]

    def requests(self) -> list[Record]:
        return self.stats.records()

    def reset_counts(self) -> None:
        self.stats.reset()

    # ------------------------------------------------------------ seeding

    def _new_id(self, length: int = 44, prefix: str = "1") -> str:
        while True:
            fid = prefix + "".join(self.rng.choice(_ID_CHARS) for _ in range(length - 1))
            if fid not in self.files and fid not in self.drives:
                return fid

    def new_sheet_id(self, book: Spreadsheet) -> int:
        while True:
            sid = self.rng.randrange(1, 2**31 - 1)
            if book.by_id(sid) is None:
                return sid

    def permission_id(self, email: str) -> str:
        return str(int(hashlib.sha256(email.lower().encode()).hexdigest(), 16) % 10**20).zfill(
            20)

    def user_json(self, email: str, viewer: str) -> dict[str, Any]:
        return {"kind": "drive#user", "displayName": email.split("@")[0],
                "me": email == viewer, "permissionId": self.permission_id(email),
                "emailAddress": email}

    def _sharing(self, shared_with: Mapping[str, str] | None) -> list[dict[str, Any]]:
        if shared_with is None:
            shared_with = {DEFAULT_SERVICE_ACCOUNT: "writer"}
        perms = []
        for email, role in shared_with.items():
            if role not in ROLE_RANK:
                raise ValueError(f"unknown role {role!r}")
            if email == "anyone":
                perms.append({"id": "anyoneWithLink", "type": "anyone", "role": role})
            else:
                perms.append({"id": self.permission_id(email), "type": "user",
                              "emailAddress": email, "role": role})
        return perms

    def create_file(self, name: str, mime: str, parents: list[str], owner: str | None, *,
                    drive_id: str | None = None, description: str | None = None,
                    copy_of: str | None = None, creator: str | None = None,
                    file_id: str | None = None, created_ms: int | None = None,
                    modified_ms: int | None = None,
                    permissions: list[dict[str, Any]] | None = None) -> str:
        with self.lock:
            fid = file_id or self._new_id(33 if mime == FOLDER_MIME else 44)
            now = self.now_ms()
            created = created_ms if created_ms is not None else now
            self.files[fid] = DriveFile(fid, name, mime, list(parents), owner, created,
                                        modified_ms if modified_ms is not None else created,
                                        drive_id, list(permissions or []),
                                        last_modifier=creator or owner)
            if mime == SHEET_MIME:
                if copy_of is not None and copy_of in self.books:
                    book = copy.deepcopy(self.books[copy_of])
                    book.id = fid
                else:
                    book = sheets.new_spreadsheet(fid)
                self.books[fid] = book
            return fid

    def delete_file(self, file_id: str) -> None:
        with self.lock:
            self.files.pop(file_id, None)
            self.books.pop(file_id, None)
            for child in [f.id for f in self.files.values() if file_id in f.parents]:
                f = self.files[child]
                f.parents.remove(file_id)
                if not f.parents:
                    self.delete_file(child)

    def add_shared_drive(self, name: str, members: Mapping[str, str] | None = None) -> str:
        """A shared drive; ``members`` maps emails to reader, commenter, writer,
        fileOrganizer/contentManager or organizer/manager (default: the service account as
        organizer)."""
        members = {DEFAULT_SERVICE_ACCOUNT: "organizer"} if members is None else members
        with self.lock:
            did = self._new_id(19, "0A")
            self.drives[did] = SharedDrive(did, name, {e: DRIVE_ROLE[r]
                                                       for e, r in members.items()})
            return did

    def add_folder(self, name: str, *, parents: Sequence[str] = (),
                   owner: str = DEFAULT_OWNER, shared_with: Mapping[str, str] | None = None,
                   folder_id: str | None = None) -> str:
        """A folder; by default shared with the service account as writer (everything in it
        then is too). A folder inside a shared drive (``parents=[drive id]``) has no owner."""
        return self._add(name, FOLDER_MIME, parents, owner, shared_with, folder_id, None, None)

    def add_spreadsheet(self, title: str,
                        tabs: Mapping[str, Sequence[Sequence[Any]]]
                        | Sequence[tuple[str, Sequence[Sequence[Any]]]] | None = None, *,
                        spreadsheet_id: str | None = None, owner: str = DEFAULT_OWNER,
                        parents: Sequence[str] = (),
                        shared_with: Mapping[str, str] | None = None,
                        modified_time: TimeLike | None = None,
                        created_time: TimeLike | None = None, locale: str = "en_US",
                        value_input: str = "RAW") -> str:
        """A spreadsheet with ``tabs`` (title -> rows of Python values: str, numbers, bools,
        dates, :class:`~fakegoogle.cells.Formula`). ``shared_with`` maps emails to roles;
        by default the service account is a writer. ``value_input="USER_ENTERED"`` parses
        strings as the Sheets UI would ("=..." becomes a formula)."""
        fid = self._add(title, SHEET_MIME, parents, owner, shared_with, spreadsheet_id,
                        _ms(created_time), _ms(modified_time))
        with self.lock:
            book = self.books[fid]
            book.props["locale"] = locale
            if tabs is not None:
                items = list(tabs.items()) if isinstance(tabs, Mapping) else list(tabs)
                book.sheets = [self._seed_sheet(book, i, name, rows, value_input, locale)
                               for i, (name, rows) in enumerate(items)] or book.sheets
        return fid

    def _seed_sheet(self, book: Spreadsheet, index: int, title: str,
                    rows: Sequence[Sequence[Any]], value_input: str, locale: str) -> Sheet:
        if value_input == "USER_ENTERED":
            stored = [[cells.intern(cells.from_user_entered(v, locale))
                       if v is not None else None for v in row] for row in rows]
            stored = [[None if v is cells.SKIP else v for v in row] for row in stored]
        else:
            stored = [[cells.seed_value(v) for v in row] for row in rows]
        width = max((len(r) for r in stored), default=0)
        sheet = Sheet({"sheetId": 0 if index == 0 else self.new_sheet_id(book), "title": title,
                       "index": index, "sheetType": "GRID",
                       "gridProperties": {"rowCount": max(1000, len(stored)),
                                          "columnCount": max(26, width)}}, stored)
        sheet.trim()
        return sheet

    def _add(self, name: str, mime: str, parents: Sequence[str], owner: str,
             shared_with: Mapping[str, str] | None, file_id: str | None,
             created_ms: int | None, modified_ms: int | None) -> str:
        with self.lock:
            drive_id = None
            for pid in parents:
                if pid in self.drives:
                    drive_id = pid
                elif pid in self.files:
                    drive_id = self.files[pid].drive_id or drive_id
                else:
                    raise KeyError(f"no folder or shared drive {pid}")
            perms = self._sharing(shared_with)
            if drive_id and shared_with is None:
                perms = []  # shared drive membership gives access
            return self.create_file(name, mime, list(parents), None if drive_id else owner,
                                    drive_id=drive_id, file_id=file_id,
                                    created_ms=created_ms, modified_ms=modified_ms,
                                    permissions=perms, creator=owner)

    def share(self, file_id: str, email: str, role: str = "writer") -> None:
        with self.lock:
            f = self.files[file_id]
            perm = self._sharing({email: role})[0]
            f.permissions = [p for p in f.permissions if p["id"] != perm["id"]] + [perm]

    def unshare(self, file_id: str, email: str) -> None:
        with self.lock:
            f = self.files[file_id]
            f.permissions = [p for p in f.permissions if p.get("emailAddress") != email]

    # ------------------------------------------------------------ reading back, editing

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """The live model (tabs, formats, validations, merges, protected ranges)."""
        return self.books[spreadsheet_id]

    def file(self, file_id: str) -> DriveFile:
        return self.files[file_id]

    def tabs(self, spreadsheet_id: str) -> list[str]:
        with self.lock:
            return [s.title for s in self.books[spreadsheet_id].sheets]

    def _sheet(self, spreadsheet_id: str, tab: str | None) -> Sheet:
        book = self.books[spreadsheet_id]
        sheet = book.sheets[0] if tab is None else book.find(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in {spreadsheet_id}")
        return sheet

    def values(self, spreadsheet_id: str, tab: str | None = None,
               render: str = "UNFORMATTED_VALUE") -> list[list[Any]]:
        """A tab's values as ``values.get`` would return them (ragged, trimmed)."""
        with self.lock:
            sheet = self._sheet(spreadsheet_id, tab)
            box = Box().clip(sheet.row_count, sheet.col_count)
            return grid.render_rows(sheet, box, render, "SERIAL_NUMBER",
                                      self.books[spreadsheet_id].locale)

    def cells(self, spreadsheet_id: str, tab: str | None = None) -> list[list[Any]]:
        """The stored cells (a copy): plain values, Formula, Shown, ErrorValue; None empty."""
        with self.lock:
            return [list(r) for r in self._sheet(spreadsheet_id, tab).rows]

    def cell(self, spreadsheet_id: str, a1: str) -> Any:
        with self.lock:
            book = self.books[spreadsheet_id]
            name, cell_text = split_range(a1)
            if cell_text is None:
                raise RangeError(a1)
            box = parse_cells(cell_text)
            return self._sheet(spreadsheet_id, name).get(box.row0, box.col0) if name \
                else book.sheets[0].get(box.row0, box.col0)

    def modified_time(self, file_id: str) -> dt.datetime:
        with self.lock:
            return dt.datetime.fromtimestamp(self.files[file_id].modified_ms / 1000, dt.UTC)

    def set_modified_time(self, file_id: str, when: TimeLike) -> None:
        with self.lock:
            self.files[file_id].modified_ms = _ms(when)  # type: ignore[assignment]

    def write(self, spreadsheet_id: str, range_a1: str, rows: Sequence[Sequence[Any]], *,
              value_input: str = "USER_ENTERED", by: str = DEFAULT_OWNER) -> None:
        """Someone edits the sheet in the browser: cells change, modifiedTime moves; not
        counted as a request."""
        with self.lock:
            book = self.books[spreadsheet_id]
            name, cell_text = split_range(range_a1)
            sheet = self._sheet(spreadsheet_id, name)
            box = parse_cells(cell_text) if cell_text else Box()
            grid.write_block(sheet, Box(box.row0, box.row0 + 1, box.col0, box.col0 + 1),
                               [list(r) for r in rows], "ROWS", value_input == "USER_ENTERED",
                               book.locale, range_a1)
            self.touch(spreadsheet_id, by)

    def rename_tab(self, spreadsheet_id: str, old: str, new: str, *,
                   by: str = DEFAULT_OWNER) -> None:
        with self.lock:
            self._sheet(spreadsheet_id, old).props["title"] = new
            self.touch(spreadsheet_id, by)

    def trash(self, file_id: str, trashed: bool = True) -> None:
        with self.lock:
            self.files[file_id].trashed = trashed

    def now_ms(self) -> int:
        return round(time.time() * 1000)

    def touch(self, file_id: str, by: str | None = None) -> None:
        """modifiedTime moves forward (strictly) on every write."""
        with self.lock:
            f = self.files[file_id]
            f.modified_ms = max(self.now_ms(), f.modified_ms + 1)
            if by:
                f.last_modifier = by

    # ------------------------------------------------------------ access

    def has_storage(self, email: str) -> bool:
        account = self.accounts.get(email)
        return True if account is None else account.has_storage

    def role(self, email: str, f: DriveFile, _depth: int = 0) -> str | None:
        """The best role ``email`` holds on ``f``: owner, sharing, shared drive, folders."""
        best: str | None = None

        def better(role: str | None) -> None:
            nonlocal best
            if role is not None and (best is None or ROLE_RANK[role] > ROLE_RANK[best]):
                best = role

        if f.owner and f.owner.lower() == email.lower():
            return "owner"
        lowered = email.lower()
        for p in f.permissions:
            kind = p.get("type")
            if kind == "anyone" or (kind in ("user", "group") and str(
                    p.get("emailAddress", "")).lower() == lowered) or (
                    kind == "domain" and lowered.endswith("@" + str(p.get("domain", "")))):
                better(p["role"])
        if f.drive_id and f.drive_id in self.drives:
            better(self.drives[f.drive_id].members.get(email))
        if _depth < 20:
            for pid in f.parents:
                parent = self.files.get(pid)
                if parent is not None:
                    inherited = self.role(email, parent, _depth + 1)
                    better("writer" if inherited == "owner" else inherited)
        return best

    # ------------------------------------------------------------ dispatch

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        host, _, rest = target.lstrip("/").partition("/")
        parts = urlsplit("/" + rest)
        req = Request(method.upper(), host, parts.path,
                      parse_qs(parts.query, keep_blank_values=True), headers, body)
        return self.handle(req)

    def classify(self, req: Request) -> None:
        found = None
        if (host_is(req.host, "oauth2.googleapis.com") and req.path == "/token") or \
                (host_is(req.host, "www.googleapis.com") and req.path == "/oauth2/v4/token"):
            req.api, req.kind = "token", "token"
            return
        if host_is(req.host, "sheets.googleapis.com"):
            req.api = "sheets"
            found = sheets.route(req.method, req.path)
        elif host_is(req.host, "www.googleapis.com"):
            req.api = "drive"
            found = drive.route(req.method, req.path)
        if found:
            req.kind, req.spreadsheet_id, req.range = found

    def handle(self, req: Request) -> Reply:
        arrived = time.monotonic()
        self.classify(req)
        record = Record(arrived, req.method, req.kind, req.spreadsheet_id, None, 0, None)
        self.stats.record(record)
        delay = self.latency.draw()
        if delay > 0:
            time.sleep(delay)
        fault = self.faults.pick(req.kind)
        if fault is not None:
            record.fault = fault
            if fault == "timeout":
                return Reply(0, drop_after_s=self.faults.timeout_s)
            if fault == "reset":
                return Reply(0, drop_after_s=0)
        try:
            if fault is not None:
                headers = {}
                if self.faults.retry_after_s is not None:
                    headers["Retry-After"] = f"{self.faults.retry_after_s:g}"
                if fault == "429":
                    raise quota_exceeded(req.api or "sheets", "read" if req.method == "GET"
                                         else "write", 60, self.project_number, headers)
                raise server_error(req.api or "sheets", int(fault), headers)
            status, payload, headers = self._answer(req, record)
        except GoogleError as exc:
            status, payload, headers = exc.status, exc.body, exc.headers
        except Exception:  # a bug in the fake: answer 500 and keep it for the test to see
            self.internal_errors.append(traceback.format_exc())
            error = server_error(req.api or "sheets", 500)
            status, payload, headers = error.status, error.body, error.headers
        record.status = status
        if status == 200 and req.api in ("sheets", "drive") and self.conformance is not None:
            self.conformance.check(req.api, req.method, req.path, payload)
        if status == 204 or payload is None:
            return Reply(status, b"", headers)
        return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)

    def _answer(self, req: Request, record: Record) -> tuple[int, Any, dict[str, str]]:
        if req.api == "token":
            if req.method != "POST":
                raise sheets_error(405, "Method Not Allowed")
            try:
                with self.lock:
                    body = auth.token_exchange(req.body, self.accounts, self.tokens,
                                               self.token_lifetime_s)
            except auth.TokenError as exc:
                return exc.status, {"error": exc.error, "error_description": exc.description}, {}
            return 200, body, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"}
        if req.kind == "unknown":
            if req.api == "drive":
                raise drive_error(404, "Not Found", "notFound")
            raise sheets_error(404, "Method not found.")
        write = req.method != "GET"
        with self.lock:
            token = self.tokens.check(req.headers.get("authorization"))
        if token is None:
            raise unauthenticated(req.api)
        record.user = token.email
        if not auth.scope_allows(token.scopes, req.api, write):
            if req.api == "drive":
                raise drive_error(403, INSUFFICIENT_SCOPES, "insufficientPermissions")
            raise sheets_error(403, INSUFFICIENT_SCOPES)
        if req.api == "sheets":
            bucket = "write" if write else "read"
            if not self.quota.admit(token.email, bucket):
                limit = self.quota.limits[bucket] or 0
                raise quota_exceeded("sheets", bucket, limit, self.project_number)
        if req.body:
            try:
                req.json = json.loads(req.body)
            except ValueError:
                raise sheets_error(400, "Invalid JSON payload received.") from None
        with self.lock:
            if req.api == "sheets":
                status, payload = sheets.handle(self, req, token.email)
            else:
                status, payload = drive.handle(self, req, token.email)
        return status, payload, {}


class SchemaViolation(AssertionError):
    """The fake answered something Google's discovery documents do not allow."""

    def __init__(self, problems: list[str]) -> None:
        shown = "\n".join(problems[:20])
        super().__init__(f"{len(problems)} answers unlike Google's schema:\n{shown}")


def host_is(host: str, expected: str) -> bool:
    return host.split(":")[0].lower() == expected
