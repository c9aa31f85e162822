"""The variable tables of the README and of the production guide against the settings class.

The guide lists every variable the app reads, the README the most used ones; a default written in
a table as plain values (`25`, `true`, `5, 50, 900`) is the default of the settings class.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from config import Settings

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = re.compile(r"`([A-Z][A-Z0-9_]+)`")
# A documented default made only of values: `25`; `true`; `3`, `65536`, `4`; 5, 50, 900; none.
VALUE = r"(?:`[^`]+`|\d+|none)"
VALUES = re.compile(rf"^\s*{VALUE}(?:\s*,\s*{VALUE})*\s*$")


def variable_table(path: Path) -> dict[str, str | None]:
    """The variables of the Markdown table headed ``| variable | meaning | default |``.

    Each maps to its documented default when the cell holds one plain value per variable.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| variable | meaning |"))
    table: dict[str, str | None] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names_cell, _meaning, default_cell = (c.strip() for c in line.strip("|").split("|"))
        names = VARIABLE.findall(names_cell)
        assert names, f"{path.name}: a row without a variable: {line}"
        default_cell = re.sub(r"\([^)]*\)", "", default_cell)  # "(8 h)", "(7 days)"
        values = [v.strip().strip("`") for v in default_cell.split(",")]
        plain = VALUES.match(default_cell) and len(values) == len(names)
        for i, name in enumerate(names):
            assert name not in table, f"{path.name}: {name} appears twice"
            table[name] = values[i] if plain else None
    return table


def as_documented(value: object) -> str:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(documented: str, value: object) -> bool:
    """``<checkout>`` and the like in a documented default stand for any text."""
    parts = re.split(r"<[^>]*>", documented)
    if len(parts) == 1:
        return documented == as_documented(value)
    pattern = ".+".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, as_documented(value)) is not None


GUIDE = variable_table(ROOT / "docs" / "production.md")
README = variable_table(ROOT / "README.md")
FIELDS = Settings.model_fields


def test_the_production_guide_lists_exactly_the_variables_of_the_settings_class():
    assert sorted(GUIDE) == sorted(FIELDS)


def test_the_readme_lists_some_of_them():
    assert set(README) <= set(FIELDS)
    assert {"POOL_ENV", "SECRET_KEY", "DATABASE_URL", "SMTP_HOST"} <= set(README)


def test_every_field_says_what_it_is_for():
    assert [name for name, field in FIELDS.items() if not field.description] == []


@pytest.mark.parametrize("table", [GUIDE, README], ids=["production.md", "README.md"])
def test_documented_defaults_are_the_defaults(table):
    stated = {name: value for name, value in table.items() if value is not None}
    assert len(stated) >= len(table) // 2  # most rows state a plain default
    wrong = {
        name: (documented, as_documented(FIELDS[name].default))
        for name, documented in stated.items()
        if not matches(documented, FIELDS[name].default)
    }
    assert wrong == {}
