"""core.uploads.check_upload (extension, size, leading bytes, SHA-256) and hazards' evidence check on top."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from minesafe.core.errors import FieldErrors
from minesafe.core.uploads import DOCUMENT_TYPES, IMAGE_AND_PDF_TYPES, CheckedUpload, check_upload
from minesafe.hazards import services as hazard_services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n" + b"x" * 100


def _message(exc: pytest.ExceptionInfo[FieldErrors], field: str = "attachment") -> str:
    assert list(exc.value.errors) == [field]
    return exc.value.errors[field][0]


def test_a_good_file_is_described_and_rewound() -> None:
    upload = SimpleUploadedFile("dir/现场 照片.PNG", PNG, content_type="text/plain")  # the browser's type is ignored
    checked = check_upload(upload, field="attachment", types=IMAGE_AND_PDF_TYPES, max_bytes=1024)
    assert checked == CheckedUpload(name="现场 照片.PNG", ext=".png", content_type="image/png",
                                    sha256=hashlib.sha256(PNG).hexdigest(), size=len(PNG))
    assert upload.read() == PNG


def test_large_files_are_hashed_over_every_chunk(tmp_path, settings) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    content = PDF + b"y" * (3 * 64 * 1024)  # several chunks
    upload = TemporaryUploadedFile("scan.pdf", "application/pdf", len(content), None)
    upload.write(content)
    upload.seek(0)
    checked = check_upload(upload, field="attachment", types=IMAGE_AND_PDF_TYPES, max_bytes=len(content))
    assert checked.sha256 == hashlib.sha256(content).hexdigest() and checked.size == len(content)
    upload.close()


@pytest.mark.parametrize("name", ["photo.gif", "photo", "photo.docx", "png"])
def test_wrong_extension_lists_the_allowed_types(name) -> None:
    with translation.override("en"), pytest.raises(FieldErrors) as exc:
        check_upload(SimpleUploadedFile(name, PNG), field="attachment", types=IMAGE_AND_PDF_TYPES, max_bytes=1024)
    assert _message(exc) == "Allowed file types: JPG, PNG, PDF."


def test_too_large() -> None:
    with translation.override("en"):
        with pytest.raises(FieldErrors) as exc:
            check_upload(SimpleUploadedFile("a.png", PNG + b"\x00" * (2 * 1024 * 1024)), field="attachment",
                         types=IMAGE_AND_PDF_TYPES, max_bytes=2 * 1024 * 1024)
        assert _message(exc) == "The file is larger than 2 MB."
        with pytest.raises(FieldErrors) as exc:
            check_upload(SimpleUploadedFile("a.png", PNG), field="attachment", types=IMAGE_AND_PDF_TYPES,
                         max_bytes=len(PNG) - 1)
        assert _message(exc) == f"The file is larger than {len(PNG) - 1}\xa0bytes."
    # exactly max_bytes is fine
    check_upload(SimpleUploadedFile("a.png", PNG), field="attachment", types=IMAGE_AND_PDF_TYPES, max_bytes=len(PNG))


@pytest.mark.parametrize("name,content", [("a.png", PDF), ("a.pdf", PNG), ("a.jpg", b""), ("a.png", PNG[:4])])
def test_content_must_match_its_type(name, content) -> None:
    with translation.override("en"), pytest.raises(FieldErrors) as exc:
        check_upload(SimpleUploadedFile(name, content), field="attachment", types=IMAGE_AND_PDF_TYPES,
                     max_bytes=1024)
    assert _message(exc) == "The file's content does not match its type."


def test_the_type_tables() -> None:
    assert set(IMAGE_AND_PDF_TYPES) == {".jpg", ".jpeg", ".png", ".pdf"}
    assert set(DOCUMENT_TYPES) == set(IMAGE_AND_PDF_TYPES) | {".docx", ".xlsx"}
    with pytest.raises(TypeError):
        DOCUMENT_TYPES[".exe"] = ("application/octet-stream", b"MZ")  # type: ignore[index]


# --- hazards.services.check_upload keeps its behaviour --------------------------------------------


def test_hazard_evidence_check_returns_the_same_tuple() -> None:
    upload = SimpleUploadedFile("照片.png", PNG)
    assert hazard_services.check_upload(upload) == ("照片.png", "image/png", hashlib.sha256(PNG).hexdigest())
    assert hazard_services.EVIDENCE_TYPES is DOCUMENT_TYPES


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_hazard_evidence_messages_are_unchanged(settings, lang) -> None:
    settings.EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
    with translation.override(lang):
        with pytest.raises(FieldErrors) as exc:
            hazard_services.check_upload(SimpleUploadedFile("x.exe", PNG))
        assert _message(exc, "evidence") == gettext("Allowed file types: JPG, PNG, PDF, DOCX, XLSX.")
        with pytest.raises(FieldErrors) as exc:
            hazard_services.check_upload(SimpleUploadedFile("x.docx", PNG))
        assert _message(exc, "evidence") == gettext("The file's content does not match its type.")
        big = SimpleUploadedFile("x.png", PNG)
        big.size = settings.EVIDENCE_MAX_BYTES + 1
        with pytest.raises(FieldErrors) as exc:
            hazard_services.check_upload(big)
        assert _message(exc, "evidence") == gettext("The file is larger than %(mb)d MB.") % {"mb": 20}
