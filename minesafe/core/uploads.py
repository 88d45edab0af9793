"""Checking uploaded files before anything is stored: extension, size and leading bytes, plus SHA-256.

``types`` maps an extension (lower case, with the dot) to ``(content type, leading bytes)``; the
content type stored with a file comes from this table, never from what the browser claimed. The
extension must be listed, the size at most ``max_bytes`` and the content must start with the
leading bytes of its extension's type. Each failure is ``FieldErrors.single(field, message)``.
Nothing is stored here: call it for every file first, so a bad file leaves no good one behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from minesafe.core.errors import FieldErrors

__all__ = ["DOCUMENT_TYPES", "IMAGE_AND_PDF_TYPES", "CheckedUpload", "allowed_types_text", "check_upload"]

_MB = 1024 * 1024
_JPEG = ("image/jpeg", b"\xff\xd8\xff")

IMAGE_AND_PDF_TYPES: Mapping[str, tuple[str, bytes]] = MappingProxyType({
    ".jpg": _JPEG, ".jpeg": _JPEG, ".png": ("image/png", b"\x89PNG\r\n\x1a\n"), ".pdf": ("application/pdf", b"%PDF-"),
})
"""Photos and PDF scans: "Allowed file types: JPG, PNG, PDF."."""
DOCUMENT_TYPES: Mapping[str, tuple[str, bytes]] = MappingProxyType({
    **IMAGE_AND_PDF_TYPES,
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
})
"""Photos, PDF and Office Open XML documents (the hazard ledger's evidence): "JPG, PNG, PDF, DOCX, XLSX"."""


@dataclass(frozen=True)
class CheckedUpload:
    """What :func:`check_upload` found: the file's base name (≤ 255 characters), its extension (lower
    case, with the dot), the content type from the types table, the SHA-256 (hex) and the size in bytes."""

    name: str
    ext: str
    content_type: str
    sha256: str
    size: int


def allowed_types_text(types: Mapping[str, tuple[str, bytes]]) -> str:
    """``"JPG, PNG, PDF"``: one upper-case extension per content type, in table order, joined by the
    language's list separator."""
    labels: dict[str, str] = {}
    for ext, (content_type, _magic) in types.items():
        labels.setdefault(content_type, ext.lstrip(".").upper())
    return _(", ").join(labels.values())


def _too_large(max_bytes: int) -> str:
    if max_bytes % _MB == 0:
        return _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // _MB}
    return _("The file is larger than %(size)s.") % {"size": filesizeformat(max_bytes)}


def check_upload(upload: UploadedFile, *, field: str, types: Mapping[str, tuple[str, bytes]],
                 max_bytes: int) -> CheckedUpload:
    """Check an upload's extension, size and leading bytes and hash it; the file is rewound afterwards.

    Raises ``FieldErrors.single(field, …)``: "Allowed file types: JPG, PNG, PDF." for an extension not
    in ``types``, "The file is larger than 20 MB." above ``max_bytes``, "The file's content does not
    match its type." when the content does not start with the type's leading bytes.
    """
    name = (upload.name or "").rsplit("/", 1)[-1][:255]
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in types:
        raise FieldErrors.single(field, _("Allowed file types: %(types)s.") % {"types": allowed_types_text(types)})
    if upload.size is None or upload.size > max_bytes:
        raise FieldErrors.single(field, _too_large(max_bytes))
    content_type, magic = types[ext]
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if len(head) < len(magic):
            head += chunk[: len(magic) - len(head)]
        digest.update(chunk)
    upload.seek(0)
    if not head.startswith(magic):
        raise FieldErrors.single(field, _("The file's content does not match its type."))
    return CheckedUpload(name=name, ext=ext, content_type=content_type, sha256=digest.hexdigest(), size=upload.size)
