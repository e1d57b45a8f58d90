"""The campaign settings (config/campaign.yaml), loaded and checked with pydantic.

Relative paths inside the file resolve against the file's own folder, so
``ttcs ... --config /elsewhere/campaign.yaml`` works from any directory.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ttcs.campaign import registry
from ttcs.campaign.contacts_format import Email, is_email
from ttcs.campaign.yamlfile import load_model
from ttcs.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "campaign.yaml"


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir", Path.cwd())
    return value if value.is_absolute() else (Path(base) / value).resolve()


RelPath = Annotated[Path, AfterValidator(_resolve)]


def _clock(value: object) -> object:
    """"7:30" reads 07:30; a bare number is refused (pydantic would take 7 for 7 seconds)."""
    if isinstance(value, int | float):
        raise ValueError(f'giờ phải viết dạng "HH:MM", ví dụ "07:30" (đang là {value})')
    if isinstance(value, str) and len(value.strip()) == 4 and value.strip()[1] == ":":
        return "0" + value.strip()
    return value


ClockTime = Annotated[time, BeforeValidator(_clock)]


def _return_to(value: str) -> str:
    """Where communes send a corrected workbook: an e-mail address or an http(s) link."""
    value = value.strip()
    if not (is_email(value) or value.startswith(("https://", "http://"))):
        raise ValueError(f"return_to phải là một địa chỉ email hoặc một liên kết http(s): "
                         f"{value!r}")
    return value


ReturnTo = Annotated[str, AfterValidator(_return_to)]
END_OF_DAY = time(23, 59, 59)


def _date_only(value: object) -> date | None:
    """The day of a deadline written without a time (a YAML date or "2025-09-30"), else None."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None  # not a date: pydantic reports it
    return None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Coordinator(Strict):
    name: str
    email: Email | None = None
    phone: str | None = None


class Reminders(Strict):
    stages: list[int] = Field(default=[-7, -3, -1, 0, 1, 3], min_length=1)
    window_start: ClockTime = time(7, 30)
    window_end: ClockTime = time(17, 0)
    cc_coordinators_from: int = Field(default=3, ge=1)
    errors_listed: int = Field(default=10, ge=1)
    collect_if_older_than_hours: float = Field(default=12, gt=0)
    # After this day (local) a run sends nothing, not even the digest; None: 7 days after the
    # last stage.
    stop_after: date | None = None
    # Where corrected .xlsx files go (an e-mail or a link); None: the coordinators' e-mail.
    return_to: ReturnTo | None = None
    # The Jinja2 templates of the messages; None: config/messages of this installation.
    messages: RelPath | None = None

    @field_validator("stages")
    @classmethod
    def _sorted_unique(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("các mốc nhắc bị trùng")
        return sorted(value)

    @model_validator(mode="after")
    def _window_in_order(self) -> Reminders:
        if self.window_start >= self.window_end:
            raise ValueError(
                f"khung giờ gửi sai: window_start ({self.window_start:%H:%M}) phải sớm hơn "
                f"window_end ({self.window_end:%H:%M})"
            )
        return self


class Smtp(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    password_secret_block: str | None = None
    sender: str = "ttcs@localhost"


class LocalBackend(Strict):
    folder: RelPath


class Provision(Strict):
    """How `ttcs provision` gets each unit a spreadsheet (README "Google Sheets")."""

    # shared_drive: the service account creates them in a Shared Drive folder;
    # oauth: the coordinator's own account creates them (installed-app login, token cached);
    # adopt: communes copy the template link and share their copy with the service account.
    mode: Literal["shared_drive", "oauth", "adopt"] = "shared_drive"
    folder_id: str | None = None  # where sheets are created/looked for; default backend's
    oauth_client_file: RelPath | None = None  # client_secret.json of an installed app
    oauth_token_file: RelPath | None = None  # default ~/.ttcs/google-oauth-token.json
    template_url: str | None = None  # the template communes copy (adopt mode)

    @property
    def token_file(self) -> Path:
        return self.oauth_token_file or Path.home() / ".ttcs" / "google-oauth-token.json"


class GsheetsBackend(Strict):
    credentials_file: RelPath | None = None
    credentials_secret_block: str | None = None
    folder_id: str | None = None
    summary_spreadsheet_id: str | None = None
    reads_per_minute: int = Field(default=60, ge=1)
    writes_per_minute: int = Field(default=60, ge=1)
    drive_requests_per_minute: int = Field(default=600, ge=1)  # Drive's own quota is 12,000
    request_timeout_s: float = Field(default=60, gt=0)
    max_retries: int = Field(default=5, ge=0)
    backoff_base_s: float = Field(default=1.0, gt=0)  # Google's: 1, 2, 4 … s plus jitter
    backoff_cap_s: float = Field(default=32.0, gt=0)
    quota_window_s: float = Field(default=60, gt=0)  # Google's quota window; tests shrink it
    api_endpoint: str | None = None  # an emulator of Google's APIs (tests, benchmarks)
    feedback_tab: bool = True  # write each unit's issues into a tab of its own spreadsheet
    provision: Provision = Provision()


class ReadLimits(Strict):
    """Bounds on one unit's workbook, checked before it is read (a file over one is
    unreachable with the reason); the defaults are 20× (columns) to 1,300× (file size) what
    the largest template needs, and keep reading one unit under ~200 MB of memory."""

    max_file_mb: float = Field(default=20, gt=0)  # the file as stored (zip)
    max_unpacked_mb: float = Field(default=50, gt=0)  # every part of the zip, unpacked
    max_rows: int = Field(default=5_000, ge=1)  # per sheet, by the furthest used cell
    max_columns: int = Field(default=200, ge=1)  # per sheet, by the furthest used cell
    max_cells: int = Field(default=500_000, ge=1)  # rows × columns, summed over the sheets


class Backend(Strict):
    kind: Literal["local", "gsheets"] = "local"
    local: LocalBackend | None = None
    gsheets: GsheetsBackend | None = None

    @model_validator(mode="after")
    def _settings_for_kind(self) -> Backend:
        if getattr(self, self.kind) is None:
            raise ValueError(f"thiếu phần cài đặt '{self.kind}' cho backend đã chọn")
        return self


class Campaign(Strict):
    title: str
    province: str
    department: str = "Sở Văn hóa, Thể thao và Du lịch"
    data_as_of: date
    deadline: datetime
    timezone: str = "Asia/Ho_Chi_Minh"
    reform_date: date = date(2025, 7, 1)
    form: RelPath
    contacts: RelPath
    output_dir: RelPath
    database: str
    excluded_units: list[str] = []
    coordinators: list[Coordinator] = []
    reminders: Reminders = Reminders()
    smtp: Smtp = Smtp()
    backend: Backend
    read_limits: ReadLimits = ReadLimits()
    source: Path | None = Field(default=None, exclude=True)
    _deadline_day_only: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _deadline_end_of_day(cls, data: Any, handler: ModelWrapValidatorHandler[Campaign]
                             ) -> Campaign:
        """A deadline without a time means the end of that day in the campaign's time zone."""
        if not isinstance(data, dict):
            return handler(data)
        day = _date_only(data.get("deadline"))
        if day is not None:
            data = {**data, "deadline": datetime.combine(day, END_OF_DAY)}
        campaign = handler(data)
        campaign._deadline_day_only = day is not None
        return campaign

    @field_validator("province", mode="before")
    @classmethod
    def _province_text(cls, value: object) -> str:
        return str(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"múi giờ không tồn tại: {value}") from None
        return value

    @field_validator("excluded_units", mode="before")
    @classmethod
    def _padded_codes(cls, value: object) -> object:
        if isinstance(value, list):
            return [registry.normalise_code(code) for code in value]
        return value

    @field_validator("database")
    @classmethod
    def _database_url(cls, value: str, info: ValidationInfo) -> str:
        """A relative SQLite path is taken relative to the config file, like every other path."""
        prefix = "sqlite:///"
        if value.startswith(prefix) and not value.startswith(prefix + "/"):
            rest = value[len(prefix) :]
            if rest and rest != ":memory:":
                return prefix + str(_resolve(Path(rest), info))
        return value

    @model_validator(mode="after")
    def _aware_deadline(self) -> Campaign:
        if self.deadline.tzinfo is None:
            object.__setattr__(self, "deadline", self.deadline.replace(tzinfo=self.tz))
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def deadline_note(self) -> str | None:
        """What the run must say when the deadline was written as a bare date."""
        if not self._deadline_day_only:
            return None
        day = self.deadline.astimezone(self.tz)
        return (f"Hạn nộp ghi không kèm giờ: tính đến hết ngày {day.day}/{day.month}/{day.year} "
                f"({day:%H:%M:%S})")

    @property
    def province_info(self) -> registry.ProvinceInfo:
        return registry.find_province(self.province)

    @property
    def province_code(self) -> str:
        return self.province_info.code


def load_campaign(path: Path | str | None = None) -> Campaign:
    """Load and check a campaign file; every problem is a one-line :class:`ConfigError`."""
    source = Path(path) if path else DEFAULT_CONFIG
    campaign = load_model(Campaign, source).model_copy(update={"source": source.resolve()})
    try:
        province = campaign.province_info
    except registry.UnknownProvince as exc:
        raise ConfigError(f"{source}: giá trị sai ở khóa 'province': {exc}") from None
    known = {unit.code for unit in registry.units(province.code)}
    stray = [code for code in campaign.excluded_units if code not in known]
    if stray:
        raise ConfigError(
            f"{source}: giá trị sai ở khóa 'excluded_units': mã {', '.join(stray)} "
            f"không thuộc {province.name}"
        )
    return campaign
