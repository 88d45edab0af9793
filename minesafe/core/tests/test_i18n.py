"""The zh-Hans catalogue is complete: every UI string in templates and code has a translation."""

from __future__ import annotations

import re
from pathlib import Path

import polib
from django.utils import translation

PACKAGE = Path(__file__).resolve().parents[2]
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
TEMPLATE_STRING = re.compile(r"""\{%\s*(?:translate|trans)\s+"([^"]+)"(?:\s+as\s+\w+)?\s*%\}""")
CODE_STRING = re.compile(r"""(?<![\w.])_\(\s*"([^"\\]+)"\s*\)""")


def _catalogue() -> dict[str, str]:
    return {e.msgid: e.msgstr or (e.msgstr_plural or {}).get(0, "") for e in polib.pofile(str(PO))}


def test_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    po = polib.pofile(str(PO))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()][:20]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()][:20]


def test_every_source_string_is_in_the_catalogue() -> None:
    known = _catalogue()
    missing = set()
    for path in PACKAGE.rglob("*.html"):
        missing |= {m for m in TEMPLATE_STRING.findall(path.read_text(encoding="utf-8")) if m not in known}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("rules",) or "tests" in rel.parts or "migrations" in rel.parts:
            continue
        missing |= {m for m in CODE_STRING.findall(path.read_text(encoding="utf-8")) if m not in known}
    assert not missing, f"run makemessages and translate: {sorted(missing)}"


def test_chinese_is_the_default_and_english_switches() -> None:
    from minesafe.registry.choices import MineStatus

    with translation.override("zh-hans"):
        assert str(MineStatus.RECTIFICATION.label) == "停产整顿"
    with translation.override("en"):
        assert str(MineStatus.RECTIFICATION.label) == "Halted for rectification"


def test_pages_are_chinese_first_whatever_the_browser_says(client) -> None:
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Log in" in page and "登录" not in page
