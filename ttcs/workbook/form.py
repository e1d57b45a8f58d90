"""The form a commune fills (config/form.yaml), as typed pydantic models."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ttcs.campaign.yamlfile import load_model

DEFAULT_FORM = Path(__file__).resolve().parents[2] / "config" / "form.yaml"

FieldType = Literal["yesno", "count", "number", "text", "url", "phone", "date", "choice"]
Kind = Literal["missing", "invalid", "contradiction", "warning"]
Period = Literal["before", "after"]
UNIT_TYPES_BEFORE = ("xã", "phường", "thị trấn")
UNIT_TYPES_AFTER = ("xã", "phường", "đặc khu")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormField(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType
    required: bool = False
    required_when: str | None = None
    scope: Literal["both", "before", "after"] = "both"
    choices: list[str] = []
    min: float | None = None
    max: float | None = None
    completion_mark: bool = False

    def applies_to(self, period: Period) -> bool:
        return self.scope in ("both", period)


class UnitsBlock(Model):
    """One row per predecessor (before 01/7/2025), then one for the new unit (after)."""

    kind: Literal["units"]
    id: str
    key_label: str
    name_label: str
    period_label: str
    before_label: str
    after_label: str
    fields: list[FormField]


class MatrixRow(Model):
    id: str
    label: str


class MatrixBlock(Model):
    """Fixed rows (e.g. roles) times fields; cell ids are ``<row>_<field>``."""

    kind: Literal["matrix"]
    id: str
    row_label: str
    rows: list[MatrixRow]
    fields: list[FormField]


class ItemsBlock(Model):
    """Labelled single values, one per row."""

    kind: Literal["items"]
    id: str
    title: str | None = None
    fields: list[FormField]


class Section(Model):
    """One outline item with a written answer. ``answered_by``: the communes (in their
    workbook), the province (in its own file, ``Form.province``), or both: the province writes
    its own text and the communes' answers are compiled under it."""

    id: str
    title: str
    required: bool = False
    answered_by: Literal["commune", "province", "both"] = "commune"
    province_title: str | None = None  # what the province is asked, where it differs


class SectionsBlock(Model):
    kind: Literal["sections"]
    id: str
    id_label: str
    title_label: str
    answer_label: str
    sections: list[Section]

    @property
    def commune_sections(self) -> list[Section]:
        return [s for s in self.sections if s.answered_by in ("commune", "both")]

    @property
    def province_sections(self) -> list[Section]:
        return [s for s in self.sections if s.answered_by in ("province", "both")]


Block = Annotated[
    UnitsBlock | MatrixBlock | ItemsBlock | SectionsBlock, Field(discriminator="kind")
]


class ProvinceTrainings(Model):
    """The trainings the province organised itself (B.III.2), one row each."""

    title: str
    number_label: str
    sessions_label: str
    participants_label: str
    content_label: str
    blank_rows: int = Field(ge=1)


class ProvinceForm(Model):
    """What the province answers itself: its file (and Google tab) has one row per province
    section (id | title | answer), then the trainings table."""

    title: str
    hint: str
    id_label: str
    title_label: str
    answer_label: str
    trainings: ProvinceTrainings


class Tab(Model):
    id: str
    name: str
    title: str
    blocks: list[Block]


class Rule(Model):
    """A validation rule as data: ``expr``, or ``left op right``; optional ``when`` guard."""

    id: str
    scope: Literal["row", "matrix", "form"]
    table: str | None = None
    rows: Literal["all", "before", "after"] = "all"
    when: str | None = None
    expr: str | None = None
    left: str | None = None
    op: Literal["<", "<=", "==", "!=", ">=", ">"] | None = None
    right: str | None = None
    field: str
    kind: Kind
    message: str
    limit: str | None = None

    @property
    def severity(self) -> Literal["error", "warning"]:
        return "warning" if self.kind == "warning" else "error"

    @model_validator(mode="after")
    def _one_shape(self) -> Rule:
        comparison = (self.left, self.op, self.right)
        if (self.expr is None) == all(part is None for part in comparison):
            raise ValueError("cần 'expr' hoặc bộ ba 'left', 'op', 'right' (chỉ một trong hai)")
        if self.expr is None and any(part is None for part in comparison):
            raise ValueError("quy tắc so sánh cần đủ 'left', 'op' và 'right'")
        if self.scope != "form" and not self.table:
            raise ValueError("quy tắc theo dòng cần 'table' (ví dụ PL01.stations)")
        return self


class Indicator(Model):
    """A province figure the outline asks for, computed from one table field."""

    id: str
    outline: str
    label: str
    table: str
    measure: Literal["count_yes", "count_positive", "sum", "compile"]
    field: str
    rows: Period | None = None
    unit_types: list[str] = []
    row: str | None = None
    per: str | None = None


class Form(Model):
    version: int
    yes_label: str
    no_label: str
    unit_header: dict[str, str]
    params: dict[str, float]
    tabs: list[Tab]
    province: ProvinceForm
    rules: list[Rule]
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _references(self) -> Form:
        tables = self.tables
        ids = [f.id for f in self.single_fields]
        if len(ids) != len(set(ids)):
            raise ValueError("mã trường (id) của các mục đơn lẻ bị trùng")
        for rule in self.rules:
            if rule.table and rule.table not in tables:
                raise ValueError(f"quy tắc {rule.id}: không có bảng {rule.table}")
        for ind in self.indicators:
            if ind.table not in tables:
                raise ValueError(f"chỉ tiêu {ind.id}: không có bảng {ind.table}")
            if ind.field not in {f.id for f in tables[ind.table].fields}:
                raise ValueError(f"chỉ tiêu {ind.id}: bảng {ind.table} không có trường {ind.field}")
        return self

    @cached_property
    def tables(self) -> dict[str, UnitsBlock | MatrixBlock | ItemsBlock]:
        """Blocks with fields by ``TAB.block`` (e.g. ``PL01.stations``)."""
        return {
            f"{tab.id}.{block.id}": block
            for tab in self.tabs
            for block in tab.blocks
            if not isinstance(block, SectionsBlock)
        }

    @cached_property
    def single_fields(self) -> list[FormField]:
        """Fields of items blocks: one value each per workbook."""
        return [
            field
            for block in self.tables.values()
            if isinstance(block, ItemsBlock)
            for field in block.fields
        ]

    @cached_property
    def sections(self) -> SectionsBlock:
        return next(
            block for tab in self.tabs for block in tab.blocks if isinstance(block, SectionsBlock)
        )

    @cached_property
    def completion_field(self) -> FormField:
        return next(field for field in self.single_fields if field.completion_mark)

    def tab(self, tab_id: str) -> Tab:
        return next(tab for tab in self.tabs if tab.id == tab_id)

    def tab_of(self, table: str) -> Tab:
        return self.tab(table.split(".", 1)[0])


_LOADED: dict[Path, tuple[tuple[int, int, int], Form]] = {}
_KEEP = 8  # forms kept loaded (a run uses one; the tests a few)


def load_form(path: Path | str | None = None) -> Form:
    """Load and check a form file; problems are one-line :class:`ttcs.errors.ConfigError`.

    A file loaded before and unchanged since (same size, inode and modification time) is not
    read again: the nightly, publish, the reminders and the CLI all ask for it (the form is
    frozen, so sharing it is safe).
    """
    path = Path(path).resolve() if path else DEFAULT_FORM
    try:
        stat = path.stat()
    except OSError:
        return load_model(Form, path)  # the loader says, in Vietnamese, what is wrong
    key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    known = _LOADED.get(path)
    if known and known[0] == key:
        return known[1]
    form = load_model(Form, path)
    _LOADED.pop(path, None)
    if len(_LOADED) >= _KEEP:
        del _LOADED[next(iter(_LOADED))]
    _LOADED[path] = (key, form)
    return form
