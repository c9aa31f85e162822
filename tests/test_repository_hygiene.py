"""Comments, docstrings and documents speak of the code in this repository.

They name no tracker numbers and no files that live outside the checkout; what a reader needs is in
``docs/`` (``architecture.md``, ``api.md``), and every ``docs/…`` file they name exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not part of the repository's own text: tools' directories, build output, local data.
SKIPPED_DIRECTORIES = {
    ".git",
    ".venv",
    "venv",
    "instance",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    "build",
    "dist",
}
SKIPPED_SUFFIXES = {".mo", ".pyc", ".sqlite3", ".png", ".ico", ".woff", ".woff2", ".pdf", ".xlsx"}

FORBIDDEN = {
    "a tracker number": re.compile(r"\bissues?\s*#?\d+", re.IGNORECASE),
    "a #number": re.compile(r"(?<![\w&#/])#\d{1,4}\b(?![\w;-])"),
    "a design document outside the repository": re.compile(r"\b(?:DESIGN|API|RECIPES)\.md\b"),
    "the shared folder outside the repository": re.compile(r"\.\./shared\b|/work/(?:shared)\b"),
}
DOCS_REFERENCE = re.compile(r"\bdocs/[\w./-]+\.md\b")


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if any(
            part in SKIPPED_DIRECTORIES or part.endswith(".egg-info") for part in relative.parts
        ):
            continue
        if path.is_file() and path.suffix not in SKIPPED_SUFFIXES:
            files.append(path)
    return files


def text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return []  # not a text file


FILES = repository_files()


def test_the_scan_sees_the_code_tests_and_documents():
    seen = {str(p.relative_to(ROOT)) for p in FILES}
    for expected in (
        "config.py",
        "Makefile",
        "README.md",
        "pool/services/booking.py",
        "tests/conftest.py",
        "docs/architecture.md",
        "docs/api.md",
    ):
        assert expected in seen


def test_no_tracker_numbers_or_files_outside_the_repository():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {what}: {line.strip()}"
        for path in FILES
        for number, line in enumerate(text_lines(path), start=1)
        for what, pattern in FORBIDDEN.items()
        if pattern.search(line)
    ]
    assert found == []


def test_every_named_document_exists():
    missing = sorted(
        {
            f"{path.relative_to(ROOT)}: {reference}"
            for path in FILES
            for line in text_lines(path)
            for reference in DOCS_REFERENCE.findall(line)
            if not (ROOT / reference).is_file() and not (path.parent / reference).is_file()
        }
    )
    assert missing == []
