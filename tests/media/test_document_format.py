"""media.documents.document_format: the first bytes must match what the extension promises."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from media.demo import write_pdf
from media.documents import OLE2, document_format


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("documents") / "党课讲稿.pdf"
    write_pdf(path, "Yuanjiao test lecture notes")
    return path


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def test_real_pdf_passes(pdf: Path) -> None:
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert document_format(pdf) == ("PDF", True)


def test_pdf_with_a_few_junk_bytes_before_the_header_passes(pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"\r\n\0\0" + pdf.read_bytes())
    assert document_format(path) == ("PDF", True)


def test_upper_case_extension(pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "LECTURE.PDF"
    path.write_bytes(pdf.read_bytes())
    assert document_format(path) == ("PDF", True)


def test_text_file_named_pdf_fails(tmp_path: Path) -> None:
    path = tmp_path / "讲稿.pdf"
    path.write_text("这是一份讲稿的文字版，不是 PDF。\n" * 10, encoding="utf-8")
    assert document_format(path) == ("PDF", False)


def test_empty_pdf_fails(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert document_format(path) == ("PDF", False)


@pytest.mark.parametrize(
    ("suffix", "name"), [(".docx", "Word"), (".pptx", "PowerPoint"), (".xlsx", "Excel")]
)
def test_zip_renamed_to_office_open_xml_passes(tmp_path: Path, suffix: str, name: str) -> None:
    path = _zip(tmp_path / "archive.zip").rename(tmp_path / f"会议记录{suffix}")
    assert document_format(path) == (name, True)


def test_pdf_renamed_docx_fails(pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "lecture.docx"
    path.write_bytes(pdf.read_bytes())
    assert document_format(path) == ("Word", False)


@pytest.mark.parametrize(
    ("suffix", "name"),
    [(".doc", "Word"), (".ppt", "PowerPoint"), (".xls", "Excel"), (".wps", "WPS")],
)
def test_ole2_header_passes_legacy_office(tmp_path: Path, suffix: str, name: str) -> None:
    path = tmp_path / f"legacy{suffix}"
    path.write_bytes(OLE2 + bytes(504))
    assert document_format(path) == (name, True)


def test_zip_renamed_to_legacy_doc_fails(tmp_path: Path) -> None:
    path = _zip(tmp_path / "archive.zip").rename(tmp_path / "legacy.doc")
    assert document_format(path) == ("Word", False)


def test_bytes_path(pdf: Path) -> None:
    assert document_format(bytes(pdf)) == ("PDF", True)


@pytest.mark.parametrize("suffix", [".docx", ".pptx", ".xlsx"])
def test_password_protected_office_files_are_ole2_and_pass(tmp_path: Path, suffix: str) -> None:
    # Office encrypts an OOXML package into an OLE2 container.
    path = tmp_path / f"加密文档{suffix}"
    path.write_bytes(OLE2 + bytes(504))
    assert document_format(path)[1]
