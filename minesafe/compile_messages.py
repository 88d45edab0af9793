"""Compile every locale/*/LC_MESSAGES/*.po into .mo with polib (no GNU gettext needed).

Run by `make` before the server or the tests start, so a fresh machine needs nothing but Python.
Only files whose .po is newer than the .mo are rebuilt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    built = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        built.append(mo_path)
    return built


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    sys.exit(0)
