"""The language overview: per language and pool, how many deployable mediators there are and
which modes (in person, phone, video) they offer. Read-only; no names, only counts.

The public version (a pool switches it on) shows "weniger als 3" instead of 1 and 2, so that a
small count cannot point to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pool.downloads import csv_text
from pool.enums import Mode
from pool.i18n import gettext as _
from pool.languages import language_name, sort_key
from pool.models import Mediator, MediatorLanguage, Pool
from pool.models.mediators import MODES

# Counts below this are shown as "weniger als 3" in public.
PUBLIC_MINIMUM = 3


@dataclass(frozen=True)
class Cell:
    """Deployable mediators of one pool for one language, and how many offer each mode."""

    count: int = 0
    modes: dict[str, int] = field(default_factory=dict)

    @property
    def modes_on_offer(self) -> list[str]:
        return [mode for mode in MODES if self.modes.get(mode)]


@dataclass(frozen=True)
class LanguageRow:
    code: str
    name: str
    cells: dict[int, Cell]

    def cell(self, pool_id: int) -> Cell:
        return self.cells.get(pool_id, Cell())


@dataclass(frozen=True)
class Overview:
    pools: list[Pool]
    rows: list[LanguageRow]


def language_overview(session: Session, pools: Sequence[Pool], locale: str) -> Overview:
    """The overview of ``pools``: one row per language that at least one deployable mediator of
    these pools speaks, sorted by the language's name in ``locale``."""
    pool_ids = [p.id for p in pools]
    flags = (Mediator.mode_in_person, Mediator.mode_phone, Mediator.mode_video)
    query = (
        select(
            Mediator.pool_id,
            MediatorLanguage.language_code,
            func.count(Mediator.id),
            *(func.sum(case((flag, 1), else_=0)) for flag in flags),
        )
        .join(MediatorLanguage, MediatorLanguage.mediator_id == Mediator.id)
        .where(Mediator.deployable, Mediator.pool_id.in_(pool_ids))
        .group_by(Mediator.pool_id, MediatorLanguage.language_code)
    )
    cells: dict[str, dict[int, Cell]] = {}
    for pool_id, code, count, *mode_counts in session.execute(query) if pool_ids else ():
        modes: dict[str, int] = {
            mode: int(n or 0) for mode, n in zip(MODES, mode_counts, strict=True)
        }
        cells.setdefault(code, {})[pool_id] = Cell(int(count), modes)
    rows = [
        LanguageRow(code, language_name(code, locale), by_pool) for code, by_pool in cells.items()
    ]
    rows.sort(key=lambda row: sort_key(row.name))
    return Overview(list(pools), rows)


def mode_labels() -> dict[str, str]:
    return {Mode.IN_PERSON: _("vor Ort"), Mode.PHONE: _("Telefon"), Mode.VIDEO: _("Video")}


def modes_text(cell: Cell) -> str:
    labels = mode_labels()
    return ", ".join(labels[mode] for mode in cell.modes_on_offer) or "–"


def public_count(count: int) -> str:
    """A count as the public may see it: 0 stays "0", 1 and 2 become "weniger als 3"."""
    if 0 < count < PUBLIC_MINIMUM:
        return _("weniger als %(number)d", number=PUBLIC_MINIMUM)
    return str(count)


def table(overview: Overview) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for the CSV and PDF: one row per language and pool with mediators."""
    headers = [
        _("Sprache"),
        _("Pool"),
        _("Einsetzbare Sprachmittler:innen"),
        _("davon vor Ort"),
        _("davon Telefon"),
        _("davon Video"),
    ]
    rows = []
    for row in overview.rows:
        for pool in overview.pools:
            cell = row.cell(pool.id)
            if cell.count:
                modes = [str(cell.modes.get(mode, 0)) for mode in MODES]
                rows.append([row.name, pool.name, str(cell.count), *modes])
    return headers, rows


def to_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """Semicolon-separated UTF-8 with a byte order mark, as German Excel opens it directly."""
    return csv_text(headers, rows).encode("utf-8")
