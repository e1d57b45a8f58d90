"""Reading YAML config files into pydantic models with one-line, key-naming errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ttcs.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a missing or malformed file is a :class:`ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: không tìm thấy tệp cấu hình") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: không đọc được tệp cấu hình ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: tệp YAML sai cú pháp{where}") from None


def load_model(model: type[M], path: Path, context: dict[str, Any] | None = None) -> M:
    """Validate the YAML at ``path`` as ``model``; the first error names its key and the file."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: tệp cấu hình phải là một bảng khóa: giá trị")
    try:
        return model.model_validate(data, context={"base_dir": path.parent, **(context or {})})
    except ValidationError as exc:
        raise ConfigError(describe(exc, path)) from None


def describe(exc: ValidationError, path: Path) -> str:
    """One line: file, dotted key, what is wrong (pydantic's English detail kept for precision)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(gốc)"
    if first["type"] == "missing":
        return f"{path}: thiếu khóa bắt buộc '{where}'"
    if first["type"] == "extra_forbidden":
        return f"{path}: khóa không được hỗ trợ '{where}' (viết sai tên khóa?)"
    value = first.get("input")
    shown = f" {value!r}" if value is not None and not isinstance(value, dict | list) else ""
    return f"{path}: giá trị sai ở khóa '{where}'{shown}: {first['msg']}"
