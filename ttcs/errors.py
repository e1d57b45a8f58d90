"""Errors the tool reports to a person in one line: exit 2 for bad input, 1 for a failed run."""

import errno


class UserError(Exception):
    """Bad input a coordinator can fix: a wrong config value, an unknown province, a bad file."""

    exit_code = 2


class ConfigError(UserError):
    """A campaign, form or contacts file that is missing, malformed or holds a wrong value."""


class RunFailed(Exception):
    """A run that failed for a reason other than its input: a service out of reach, a flow
    failing, another run holding the database. One line for a person; the CLI exits 1."""

    exit_code = 1


_OS_REASONS = {
    errno.ENOENT: "không tồn tại",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không có quyền truy cập",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.EISDIR: "là một thư mục",
    errno.ENOTDIR: "một phần của đường dẫn là tệp, không phải thư mục",
    errno.EEXIST: "một phần của đường dẫn là tệp, không phải thư mục",
    errno.ECONNREFUSED: "máy chủ từ chối kết nối",
    errno.ETIMEDOUT: "hết thời gian chờ",
}


def os_reason(exc: OSError) -> str:
    """An operating-system error in Vietnamese words (its own text is English)."""
    return _OS_REASONS.get(exc.errno or -1, exc.strerror or str(exc))


def read_reason(exc: OSError | UnicodeDecodeError) -> str:
    """Why a text file could not be read, in Vietnamese words."""
    if isinstance(exc, UnicodeDecodeError):
        return f"không phải văn bản UTF-8 (byte thứ {exc.start + 1})"
    return os_reason(exc)
