"""Reading YAML config files into pydantic models with one-line, Vietnamese, key-naming errors.

pydantic answers in English; :func:`describe` turns its first error into one Vietnamese line
naming the file, the line in it and the key path (``backend.gsheets.provision.mode``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ttcs.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

_DATE = "phải là một ngày dạng YYYY-MM-DD, ví dụ 2025-09-30"
_DATETIME = ("phải là ngày giờ dạng YYYY-MM-DDTHH:MM:SS+07:00 hoặc một ngày YYYY-MM-DD, "
             "ví dụ 2025-09-30T17:00:00+07:00")
_TIME = 'phải là giờ dạng HH:MM, ví dụ "07:30"'
_INT = "phải là số nguyên"
_FLOAT = "phải là một số"
_BOOL = "phải là true hoặc false"
_MAPPING = "phải là một bảng khóa: giá trị"
_ONE_OF = "phải là một trong {expected}"

# What the value must be, by pydantic error type; {name}s come from the error's ctx.
EXPECTED = {
    "int_type": _INT, "int_parsing": _INT, "int_parsing_size": _INT,
    "int_from_float": "phải là số nguyên (không có phần lẻ)",
    "float_type": _FLOAT, "float_parsing": _FLOAT, "finite_number": "phải là một số hữu hạn",
    "bool_type": _BOOL, "bool_parsing": _BOOL,
    "string_type": "phải là một chuỗi văn bản",
    "string_too_short": "phải có ít nhất {min_length} ký tự",
    "string_too_long": "chỉ được tối đa {max_length} ký tự",
    "string_pattern_mismatch": "không đúng dạng quy định (mẫu {pattern})",
    "list_type": "phải là một danh sách", "tuple_type": "phải là một danh sách",
    "dict_type": _MAPPING, "model_type": _MAPPING, "model_attributes_type": _MAPPING,
    "too_short": "phải có ít nhất {min_length} phần tử",
    "too_long": "chỉ được tối đa {max_length} phần tử",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải từ {ge} trở lên",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "không được lớn hơn {le}",
    "multiple_of": "phải là bội số của {multiple_of}",
    "literal_error": _ONE_OF, "enum": _ONE_OF,
    "union_tag_invalid": "khóa {discriminator} phải là một trong {expected_tags} (đang là '{tag}')",
    "union_tag_not_found": "thiếu khóa {discriminator}",
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _DATETIME, "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME, "datetime_object_invalid": _DATETIME,
    "time_type": _TIME, "time_parsing": _TIME,
    "path_type": "phải là một đường dẫn tệp",
    "none_required": "phải để trống",
    "value_error": "{error}", "assertion_error": "{error}",  # our validators' own Vietnamese
}
GENERIC = "giá trị không hợp lệ"


# libyaml's parser when PyYAML was built with it (several times faster on form.yaml).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """SafeLoader that reads ``17:00`` as text (YAML 1.1 makes it the base-60 number 1020,
    which pydantic would take for 00:17) and leaves an impossible date (2025-13-30) as text
    for the model to report, instead of raising from inside the parser."""


def _no_base_60(constructor: Any) -> Any:
    def construct(loader: _Loader, node: yaml.ScalarNode) -> Any:
        return loader.construct_scalar(node) if ":" in node.value else constructor(loader, node)

    return construct


def _date_or_text(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _no_base_60(yaml.SafeLoader.construct_yaml_int))
_Loader.add_constructor(
    "tag:yaml.org,2002:float", _no_base_60(yaml.SafeLoader.construct_yaml_float)
)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_or_text)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: không tìm thấy tệp cấu hình") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: đây là một thư mục, không phải tệp cấu hình") from None
    except PermissionError:
        raise ConfigError(f"{path}: không có quyền đọc tệp cấu hình") from None
    except OSError as exc:
        raise ConfigError(f"{path}: không đọc được tệp cấu hình (lỗi hệ thống số {exc.errno})") \
            from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, dòng {line}: tệp cấu hình không phải văn bản UTF-8 "
            "(hãy lưu lại tệp với bảng mã UTF-8)"
        ) from None


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The parsed YAML at ``path`` and its node tree (for line numbers); a missing, unreadable
    or malformed file is a :class:`ConfigError`."""
    loader = _Loader(_read_text(path))
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node else None), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: tệp YAML sai cú pháp{where}") from None
    finally:
        loader.dispose()


def load_model(model: type[M], path: Path, context: dict[str, Any] | None = None) -> M:
    """Validate the YAML at ``path`` as ``model``; the first error names its key and the file."""
    data, node = read_yaml(path)
    if data is None:
        raise ConfigError(f"{path}: tệp cấu hình trống")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: tệp cấu hình phải là một bảng khóa: giá trị")
    try:
        return model.model_validate(data, context={"base_dir": path.parent, **(context or {})})
    except ValidationError as exc:
        raise ConfigError(describe(exc, path, node)) from None


def describe(exc: ValidationError, path: Path, node: yaml.Node | None = None) -> str:
    """One Vietnamese line: file, line, dotted key, what the value must be, what it is."""
    errors = exc.errors()
    first = errors[0]
    keys, line = _locate(node, first["loc"])
    where = f"{path}, dòng {line}" if line else str(path)
    key = ".".join(str(part) for part in keys)
    more = f" (và {len(errors) - 1} lỗi khác)" if len(errors) > 1 else ""
    if first["type"] == "missing":
        return f"{where}: thiếu khóa bắt buộc '{key}'{more}"
    if first["type"] == "extra_forbidden":
        return f"{where}: khóa không được hỗ trợ '{key}' (viết sai tên khóa?){more}"
    detail = _expected(first)
    if first["type"] in ("value_error", "assertion_error"):
        shown = ""  # our own validators quote what they refuse
    else:
        shown = _shown(first.get("input"))
    subject = f"giá trị sai ở khóa '{key}'" if key else "giá trị sai"
    return f"{where}: {subject}: {detail}{shown}{more}"


def _expected(error: ErrorDetails) -> str:
    template = EXPECTED.get(error["type"])
    ctx = {name: _ctx_text(value) for name, value in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx) if template else GENERIC
    except KeyError:  # a pydantic version whose ctx lacks a name: still Vietnamese
        return GENERIC


def _ctx_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # pydantic lists choices as "'a', 'b' or 'c'"
    return re.sub(r"' or '", "', '", str(value))


def _shown(value: Any) -> str:
    """`` (đang là 'drive')``, or nothing for a block or list (the key says where it is)."""
    if isinstance(value, dict | list):
        return ""
    if value is None:
        return " (đang để trống)"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, str):
        text = repr(value if len(value) <= 60 else value[:57] + "...")
    else:
        text = str(value)
    return f" (đang là {text})"


def _locate(node: yaml.Node | None, loc: Sequence[int | str]) -> tuple[list[int | str], int | None]:
    """The key path as written in the file and the line of its deepest part found there."""
    walked = _walk(node, tuple(loc))
    if walked is None:
        return list(loc), None
    lines = [line for _, line in walked if line is not None]
    return [part for part, _ in walked], (lines[-1] if lines else None)


def _walk(node: yaml.Node | None, loc: tuple[int | str, ...]
          ) -> list[tuple[int | str, int | None]] | None:
    """``loc`` matched against the file's nodes, each part with its line; None if it cannot be.

    pydantic puts a discriminated union's tag into ``loc`` (``blocks.0.items.fields``): a part
    equal to a value of the mapping (``kind: items``) may be skipped as such a tag.
    """
    if not loc:
        return []
    part, rest = loc[0], loc[1:]
    found = _child(node, part)
    if found is not None:
        below = _walk(found[1], rest)
        if below is not None:
            return [(part, found[0].start_mark.line + 1), *below]
    if rest and _is_tag(node, part):
        return _walk(node, rest)
    missing = not rest and found is None and isinstance(node, yaml.MappingNode)
    return [(part, None)] if missing else None


def _is_tag(node: yaml.Node | None, part: int | str) -> bool:
    return isinstance(node, yaml.MappingNode) and any(
        isinstance(value, yaml.ScalarNode) and value.value == part for _, value in node.value
    )


def _child(node: yaml.Node | None, part: int | str) -> tuple[yaml.Node, yaml.Node] | None:
    """The node of ``part`` under ``node``, after the node its line is read from (the key)."""
    if isinstance(node, yaml.MappingNode):
        return next(((key, value) for key, value in node.value if key.value == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None
