"""Contacts CSV as Excel and LibreOffice write it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_ttcs
from ttcs.campaign import registry
from ttcs.campaign.contacts import read_contacts, spreadsheet_id

SHEET_URL = "https://docs.google.com/spreadsheets/d/1AbC_dEf-123/edit#gid=0"


def test_semicolon_bom_stripped_zeros_and_unknown_codes(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        (
            "Mã đơn vị;Tên đơn vị;Người phụ trách;Email;Điện thoại;Apprise URL;Bảng tính Google\r\n"
            f"19742;Đặc khu Cồn Cỏ;Nguyễn Văn A;a@conco.gov.vn;0912 345 678;;{SHEET_URL}\r\n"
            "18859;;Trần Thị B;khong-phai-email;12345;tgram://bot/chat;\r\n"
            "70;Phường Hoàn Kiếm;;x@y.vn;;;\r\n"
            ";;;;;;\r\n"
        ).encode("utf-8-sig")
    )
    contacts = read_contacts(path, "44")
    assert set(contacts.by_code) == {"19742", "18859"}
    con_co = contacts.by_code["19742"]
    assert con_co.person == "Nguyễn Văn A"
    assert con_co.spreadsheet_id == "1AbC_dEf-123"
    assert contacts.by_code["18859"].email == ""
    assert contacts.by_code["18859"].apprise_url == "tgram://bot/chat"
    problems = "\n".join(contacts.problems)
    assert "dòng 3: email 'khong-phai-email' không hợp lệ" in problems
    assert "dòng 3: số điện thoại '12345'" in problems
    assert "dòng 4: mã đơn vị '70' không thuộc tỉnh" in problems


def test_comma_separated_with_english_headers(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("code,email\n1234,\n", encoding="utf-8")
    # Hà Nội's "Phường Hoàn Kiếm" is 00070: a code typed as 70 is re-padded.
    path.write_text("code,email\n70,hk@hanoi.gov.vn\n", encoding="utf-8")
    contacts = read_contacts(path, "01")
    assert contacts.by_code["00070"].email == "hk@hanoi.gov.vn"
    assert contacts.problems == []


def test_spreadsheet_id_from_url_or_id() -> None:
    assert spreadsheet_id(SHEET_URL) == "1AbC_dEf-123"
    assert spreadsheet_id(" 1AbC_dEf-123 ") == "1AbC_dEf-123"


def test_cli_writes_a_prefilled_template_that_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "danh-ba.csv"
    result = run_ttcs("units", "--province", "44", "--contacts-template", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Mã đơn vị,Tên đơn vị,Người phụ trách")
    assert len(lines) == 1 + len(registry.units("44"))
    contacts = read_contacts(out, "44")
    assert len(contacts.by_code) == 78
    assert contacts.problems == []
