"""Hostile workbooks for tests, small on disk: parts written with zipfile, no spreadsheet program.

Each builder writes a file that is a valid zip and a minimal .xlsx (one tab "PL01") whose cells
or parts would make the reader allocate far more than the file's size: cells far apart, many
cells, one long shared string copied into every cell, parts that inflate to hundreds of MB
(declared honestly or not).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="PL01" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')


def workbook(path: Path, rows: Iterable[str], extra: dict[str, str] | None = None,
             head: str = "") -> Path:
    """A one-tab workbook whose sheetData holds ``rows`` (XML text, streamed into the zip)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
        with archive.open(SHEET, "w") as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?>{head}<worksheet '
                        f'xmlns="{MAIN}"><sheetData>'.encode())
            for row in rows:
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def _text_cell(address: str, text: str) -> str:
    return f'<c r="{address}" t="inlineStr"><is><t>{text}</t></is></c>'


def sparse_bomb(path: Path, far: str = "XFD100000") -> Path:
    """A1 and one far cell: calamine would allocate every cell between them (52 GB)."""
    row = "".join(ch for ch in far if ch.isdigit())
    return workbook(path, [f'<row r="1">{_text_cell("A1", "Mã đơn vị")}</row>',
                           f'<row r="{row}"><c r="{far}"><v>1</v></c></row>'])


def many_cells(path: Path, rows: int, columns: int) -> Path:
    """rows × columns numbers, without addresses (Excel allows them to be implied)."""
    line = "<c><v>7</v></c>" * columns
    return workbook(path, (f"<row>{line}</row>" for _ in range(rows)))


def shared_string_bomb(path: Path, length: int, cells: int) -> Path:
    """One shared string of ``length`` characters used by ``cells`` cells in one column."""
    strings = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>{"x" * length}</t></si></sst>'
    return workbook(path, (f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>'
                           for r in range(1, cells + 1)),
                    extra={"xl/sharedStrings.xml": strings})


def _padding(mb: int) -> Iterator[str]:
    """``mb`` MB of spaces between two cells: valid XML that inflates ~1000:1."""
    yield f'<row r="1">{_text_cell("A1", "Mã đơn vị")}</row>'
    for _ in range(mb):
        yield " " * (1024 * 1024)


def zip_bomb(path: Path, mb: int = 300) -> Path:
    """A sheet part that inflates to ``mb`` MB, declared as such."""
    return workbook(path, _padding(mb))


def lying_zip_bomb(path: Path, mb: int = 300, declared: int = 1000) -> Path:
    """The same, with the sheet's unpacked size declared as ``declared`` bytes in both the
    local header and the central directory: a reader that trusts it is fooled."""
    zip_bomb(path, mb)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    entries, _, position = struct.unpack_from("<HII", data, data.rfind(b"PK\x05\x06") + 10)
    for _ in range(entries):  # the central directory
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data,
                                                                       position + 28)
        if data[position + 46:position + 46 + name_length] == SHEET.encode():
            struct.pack_into("<I", data, position + 24, declared)
        position += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))
    return path


def with_doctype(path: Path) -> Path:
    """An entity declared in a DOCTYPE (what billion-laughs and XXE files need)."""
    return workbook(path, ['<row r="1"><c r="A1"><v>1</v></c></row>'],
                    head='<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>')



_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(f"{done.returncode}\\n{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.stdout.write(done.stdout + done.stderr)
"""


def run_measured(command: list[str], env: dict[str, str] | None = None,
                 ) -> tuple[int, int, list[str]]:
    """Run ``command`` from a fresh interpreter: its exit code, its peak resident memory in KB
    (ru_maxrss of the children of that interpreter: the command and whatever it waited for),
    and its output lines (stdout then stderr)."""
    result = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                            text=True, env=env, timeout=600, check=True)
    code, peak_kb, *output = result.stdout.splitlines()
    return int(code), int(peak_kb), output
