"""Citation hygiene and package purity for minesafe.rules.

- every Citation is built through cite(), and every literal cite(...) resolves;
- citations of external documents (not a seed or DOMAIN) are marked [U];
- cite() rejects unknown sources and sections;
- the section ids declared for each seed are the ones present in the seed text;
- rules/ imports only the standard library (no Django, no MineSafe apps);
- every public function is typed and documented, rule functions name their source.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import minesafe.rules
from minesafe.rules.sources import SOURCES, cite
from minesafe.rules.types import Citation

RULES_DIR = Path(minesafe.rules.__file__).resolve().parent
TESTS_DIR = RULES_DIR / "tests"
ALL_FILES = sorted(RULES_DIR.rglob("*.py"))
RULE_FILES = [p for p in ALL_FILES if TESTS_DIR not in p.parents]
SEED_IDS = [f"seed-00{i}" for i in range(5)]
INTERNAL_SOURCES = {*SEED_IDS, "DOMAIN"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                isinstance(func, ast.Attribute) and func.attr == name
            ):
                yield node


def _rule_modules() -> list[ModuleType]:
    names = [
        m.name
        for m in pkgutil.iter_modules(minesafe.rules.__path__, "minesafe.rules.")
        if not m.name.endswith(".tests")
    ]
    return [importlib.import_module(n) for n in sorted(names)]


# --- the registry --------------------------------------------------------------------------


def test_seeds_and_external_documents_registered() -> None:
    for seed in SEED_IDS:
        assert SOURCES[seed].sections, seed
    for doc in ("GB 32100-2015", "GB 11714-1997", "GB/T 22239-2019", "GB 39496-2020"):
        assert SOURCES[doc].sections is None
    assert all(source.id == key for key, source in SOURCES.items())


@pytest.mark.parametrize(
    ("source", "section"),
    [
        ("seed-009", "一"),  # unknown source
        ("GB 99999-2099", "1"),
        ("seed-002", "九"),  # seed-002 stops at 八
        ("seed-002", "二(一)"),  # seed-002 has no sub-sections
        ("seed-004", "三(九)"),
        ("seed-001", "六"),
        ("DOMAIN", "HM-9"),
        ("DOMAIN", "§13"),
        ("seed-002", ""),
        ("GB 32100-2015", "  "),  # free-form, but not empty
    ],
)
def test_cite_rejects_unknown(source: str, section: str) -> None:
    with pytest.raises(ValueError):
        cite(source, section)


@pytest.mark.parametrize(
    ("source", "section"),
    [
        ("seed-000", "二(三)"),
        ("seed-001", "五"),
        ("seed-002", "三"),
        ("seed-003", "山东省"),
        ("seed-004", "三(三)"),
        ("seed-004", "五(六)"),
        ("DOMAIN", "§1.1"),
        ("DOMAIN", "HM-3a"),
        ("GB 32100-2015", "anything goes"),
    ],
)
def test_cite_accepts_known(source: str, section: str) -> None:
    assert cite(source, section, "n") == Citation(source, section, "n")


# --- every citation goes through cite() -------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(RULES_DIR)))
def test_no_direct_citation_construction(path: Path) -> None:
    allowed = path == RULES_DIR / "sources.py"  # cite() itself
    direct = [node.lineno for node in _calls(_tree(path), "Citation")]
    if path == Path(__file__).resolve():
        return  # this test module names Citation(...) only to compare with cite()'s result
    assert allowed or not direct, f"Citation(...) built directly at lines {direct}; use cite()"


def _literal_cites() -> Iterator[tuple[str, int, str, str, str]]:
    for path in RULE_FILES:
        for node in _calls(_tree(path), "cite"):
            if path.name == "__init__.py":
                continue
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            values = dict(zip(("source", "section", "note"), args, strict=False)) | kwargs
            yield path.name, node.lineno, values["source"], values["section"], values.get("note", "")


def test_every_cite_call_in_rules_is_literal_and_resolves() -> None:
    calls = list(_literal_cites())  # literal_eval raises if an argument is not a literal
    assert len(calls) >= 10
    for filename, line, source, section, note in calls:
        cite(source, section, note)  # raises on an unknown source/section
        if source not in INTERNAL_SOURCES:
            assert "[U]" in note, f"{filename}:{line}: general-knowledge citation must be marked [U]"


def _citations_in(value: object, depth: int = 0) -> Iterator[Citation]:
    if depth > 4:
        return
    if isinstance(value, Citation):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _citations_in(v, depth + 1)
    elif isinstance(value, list | tuple | frozenset | set):
        for v in value:
            yield from _citations_in(v, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _citations_in(getattr(value, f.name), depth + 1)


def test_module_level_citations_are_registered() -> None:
    found = [c for module in _rule_modules() for v in vars(module).values() for c in _citations_in(v)]
    assert len(found) >= 10
    for citation in found:
        assert cite(citation.source, citation.section, citation.note) == citation


# --- seed sections match the texts --------------------------------------------------------

_NUM = "[一二三四五六七八九十]+"


def _seed_dir() -> Path | None:
    for base in (RULES_DIR.parents[2], RULES_DIR.parents[1]):
        candidate = base / "shared" / "seeds"
        if candidate.is_dir():
            return candidate
    return None


def _structure(text: str) -> set[str]:
    """Headings found at line starts: "二", "二(一)", "附件", "附件2"."""
    found: set[str] = set()
    top: str | None = None
    for raw in text.splitlines():
        line = raw.strip().replace("（", "(").replace("）", ")")
        if m := re.match(rf"^({_NUM})、", line):
            top = m.group(1)
            found.add(top)
        elif (m := re.match(rf"^\(({_NUM})\)", line)) and top:
            found.add(f"{top}({m.group(1)})")
        elif m := re.match(r"^附件\s*(\d*)\s*(?:[:：]|$)", line):
            found.add("附件" + m.group(1))
    return found


def _present(text: str, structure: set[str], section: str) -> bool:
    if section in structure:
        return True
    if re.fullmatch(_NUM, section):
        return f"{section}、" in text  # inline headings (seed-001 is one paragraph)
    return "(" not in section and not section.startswith("附件") and section in text


@pytest.mark.parametrize("seed", SEED_IDS)
def test_seed_sections_match_text(seed: str) -> None:
    seed_dir = _seed_dir()
    if seed_dir is None:
        pytest.skip("shared/seeds not available")
    (path,) = seed_dir.glob(f"{seed.removeprefix('seed-')}_*.txt")
    text = path.read_text(encoding="utf-8")
    structure = _structure(text)
    declared = SOURCES[seed].sections
    assert declared is not None
    missing = {s for s in declared if not _present(text, structure, s)}
    assert not missing, f"declared but not in {path.name}: {sorted(missing)}"
    undeclared = structure - declared
    assert not undeclared, f"present in {path.name} but not declared: {sorted(undeclared)}"


# --- purity: standard library only ------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(RULES_DIR)))
def test_imports_are_stdlib_or_rules_only(path: Path) -> None:
    allowed_third_party = {"pytest"} if TESTS_DIR in path.parents else set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside the package
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top != "django", f"{path.name}:{node.lineno} imports {name}"
            if top == "minesafe":
                assert name == "minesafe.rules" or name.startswith("minesafe.rules."), (
                    f"{path.name}:{node.lineno} imports MineSafe app {name}"
                )
                continue
            assert top in sys.stdlib_module_names or top in allowed_third_party, (
                f"{path.name}:{node.lineno} imports non-stdlib {name}"
            )


def test_importing_rules_loads_no_django() -> None:
    code = "import sys, minesafe.rules; print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    import subprocess

    result = subprocess.run(  # noqa: S603 - fixed interpreter and code, no user input
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=RULES_DIR.parents[1]
    )
    assert result.stdout.strip() == "False"


# --- style contract -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(RULES_DIR)))
def test_future_annotations(path: Path) -> None:
    tree = _tree(path)
    if not tree.body:
        return  # empty __init__.py
    assert any(
        isinstance(n, ast.ImportFrom)
        and n.module == "__future__"
        and any(a.name == "annotations" for a in n.names)
        for n in tree.body
    ), path.name


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_public_functions_typed_and_documented(path: Path) -> None:
    tree = _tree(path)
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        where = f"{path.name}:{node.name}"
        assert node.returns is not None, f"{where} lacks a return annotation"
        params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in params:
            if arg.arg not in ("self", "cls"):
                assert arg.annotation is not None, f"{where}: parameter {arg.arg} lacks an annotation"
        doc = ast.get_docstring(node) or ""
        assert doc, f"{where} lacks a docstring"
        if node.name.startswith(("check_", "validate_")):
            assert re.search(r"seed-00\d|DOMAIN|GB(/T)? \d", doc), f"{where}: docstring must name its source"
