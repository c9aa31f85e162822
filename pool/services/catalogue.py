"""The registry's catalogues as the admin keeps them: trainings, guidelines and domains.

Every function takes the session and the acting user, checks the values, changes data, writes an
audit event (field names and codes only) and flushes; the caller commits. Changes that decide
whether mediators can be deployed recompute the stored deployability through
``services.mediators.refresh_all`` (the one rule stays in ``pool/deployability.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pool import audit
from pool.i18n import gettext as _
from pool.models import Domain, Guideline, Training, User
from pool.services import ServiceError
from pool.services import mediators as registry

CODE_PATTERN = re.compile(r"^[a-z0-9_]+$")
CODE_MAX = 40
TRAINING_NAME_MAX = 160
DOMAIN_NAME_MAX = 120
GUIDELINE_TITLE_MAX = 200
GUIDELINE_BODY_MAX = 50_000
VALIDITY_MAX_MONTHS = 600
# What decides deployability: a change of these recomputes every mediator's stored state.
DEPLOYABILITY_FIELDS = frozenset({"mandatory", "unlocks_domains", "active"})


class CatalogueError(ServiceError):
    """A change to the catalogues breaks a rule."""


def _actor_id(actor: User | None) -> int | None:
    return actor.id if actor else None


def _check_code(code: str, field: str = "code") -> str:
    code = (code or "").strip()
    if not code:
        raise CatalogueError(_("Bitte geben Sie ein Kürzel ein."), field)
    if len(code) > CODE_MAX:
        raise CatalogueError(_("Das Kürzel darf höchstens 40 Zeichen lang sein."), field)
    if not CODE_PATTERN.match(code):
        raise CatalogueError(
            _("Das Kürzel darf nur Kleinbuchstaben (a–z), Ziffern und _ enthalten."), field
        )
    return code


def _check_text(value: str | None, *, limit: int, field: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise CatalogueError(missing, field)
    if len(value) > limit:
        raise CatalogueError(_("Höchstens %(num)d Zeichen.", num=limit), field)
    return value


def _flush_unique(session: Session, message: str, field: str) -> None:
    """Flush; a unique key another request took in the meantime becomes a CatalogueError."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise CatalogueError(message, field) from exc


# --- trainings ------------------------------------------------------------------------------------


def _check_validity(months: int | None) -> int | None:
    if months is None:
        return None
    if (
        isinstance(months, bool)
        or not isinstance(months, int)
        or not (1 <= months <= VALIDITY_MAX_MONTHS)
    ):
        raise CatalogueError(
            _("Bitte geben Sie eine Zahl von 1 bis 600 ein oder lassen Sie das Feld leer."),
            "validity_months",
        )
    return months


def _check_domains(session: Session, codes: Iterable[str]) -> list[str]:
    wanted = sorted(set(codes or []))
    if not wanted:
        return []
    known = set(session.scalars(select(Domain.code).where(Domain.code.in_(wanted))))
    if known != set(wanted):
        raise CatalogueError(_("Bitte wählen Sie nur Bereiche aus der Liste."), "unlocks_domains")
    return wanted


def _training_name(session: Session, name: str, training_id: int | None) -> str:
    name = _check_text(
        name,
        limit=TRAINING_NAME_MAX,
        field="name",
        missing=_("Bitte geben Sie einen Namen ein."),
    )
    query = select(Training.id).where(func.lower(Training.name) == name.lower())
    if training_id is not None:
        query = query.where(Training.id != training_id)
    if session.scalars(query).first() is not None:
        raise CatalogueError(
            _("Es gibt schon eine Schulung mit diesem Namen. Bitte wählen Sie einen anderen."),
            "name",
        )
    return name


def code_taken_message() -> str:
    return _("Dieses Kürzel ist schon vergeben. Bitte wählen Sie ein anderes.")


def create_training(
    session: Session,
    *,
    actor: User | None,
    code: str,
    name: str,
    validity_months: int | None,
    mandatory: bool,
    unlocks_domains: Iterable[str],
    active: bool,
    now: datetime,
) -> Training:
    code = _check_code(code)
    name = _training_name(session, name, None)
    validity = _check_validity(validity_months)
    domains = _check_domains(session, unlocks_domains)
    if session.scalars(select(Training.id).where(Training.code == code)).first() is not None:
        raise CatalogueError(code_taken_message(), "code")
    training = Training(
        code=code,
        name=name,
        validity_months=validity,
        mandatory=bool(mandatory),
        unlocks_domains=domains,
        active=bool(active),
    )
    session.add(training)
    _flush_unique(session, code_taken_message(), "code")
    audit.record(
        session,
        _actor_id(actor),
        "training.created",
        "training",
        training.id,
        {
            "code": code,
            "mandatory": training.mandatory,
            "active": training.active,
            "unlocks_domains": domains,
        },
    )
    if training.active and (training.mandatory or domains):
        registry.refresh_all(session, now)
    return training


def update_training(
    session: Session,
    *,
    actor: User | None,
    training: Training,
    name: str,
    validity_months: int | None,
    mandatory: bool,
    unlocks_domains: Iterable[str],
    active: bool,
    now: datetime,
) -> list[str]:
    """Change a training (never its code: records refer to it). A new validity applies to records
    entered from now on; existing records keep their expiry date. Returns the changed fields."""
    values = {
        "name": _training_name(session, name, training.id),
        "validity_months": _check_validity(validity_months),
        "mandatory": bool(mandatory),
        "unlocks_domains": _check_domains(session, unlocks_domains),
        "active": bool(active),
    }
    changed = []
    for field, value in values.items():
        current = getattr(training, field)
        if field == "unlocks_domains":
            current = sorted(current or [])
        if current != value:
            setattr(training, field, value)
            changed.append(field)
    if not changed:
        return changed
    session.flush()
    details: dict = {"code": training.code, "fields": changed}
    if "unlocks_domains" in changed:
        details["unlocks_domains"] = values["unlocks_domains"]
    audit.record(session, _actor_id(actor), "training.updated", "training", training.id, details)
    if DEPLOYABILITY_FIELDS.intersection(changed):
        registry.refresh_all(session, now)
    return changed


# --- guidelines -----------------------------------------------------------------------------------


def current_guideline(session: Session, code: str) -> Guideline | None:
    return session.scalars(
        select(Guideline).where(Guideline.code == code).order_by(Guideline.version.desc())
    ).first()


def publish_guideline(
    session: Session,
    *,
    actor: User,
    code: str,
    title: str,
    body_markdown: str,
    mandatory: bool,
    now: datetime,
) -> Guideline:
    """Check the values and publish a guideline or a new version of an existing code. Everyone
    has to acknowledge the new version again (``services.mediators.publish_guideline``)."""
    code = _check_code(code)
    title = _check_text(
        title,
        limit=GUIDELINE_TITLE_MAX,
        field="title",
        missing=_("Bitte geben Sie einen Titel ein."),
    )
    body = (body_markdown or "").replace("\r\n", "\n").strip()
    if not body:
        raise CatalogueError(_("Bitte geben Sie den Text der Leitlinie ein."), "body_markdown")
    if len(body) > GUIDELINE_BODY_MAX:
        raise CatalogueError(_("Der Text ist zu lang."), "body_markdown")
    try:
        with session.begin_nested():
            return registry.publish_guideline(
                session,
                actor=actor,
                code=code,
                title=title,
                body_markdown=body,
                mandatory=bool(mandatory),
                now=now,
            )
    except IntegrityError as exc:  # someone published the same version at the same moment
        raise CatalogueError(
            _("Gerade wurde eine andere Fassung veröffentlicht. Bitte prüfen Sie den Text."),
            "body_markdown",
        ) from exc


# --- domains --------------------------------------------------------------------------------------


def add_domain(
    session: Session, *, actor: User | None, code: str, name_de: str, name_en: str
) -> Domain:
    code = _check_code(code)
    name_de = _check_text(
        name_de,
        limit=DOMAIN_NAME_MAX,
        field="name_de",
        missing=_("Bitte geben Sie den deutschen Namen ein."),
    )
    name_en = _check_text(
        name_en,
        limit=DOMAIN_NAME_MAX,
        field="name_en",
        missing=_("Bitte geben Sie den englischen Namen ein."),
    )
    if session.get(Domain, code) is not None:
        raise CatalogueError(code_taken_message(), "code")
    if (
        session.scalars(
            select(Domain.code).where(func.lower(Domain.name_de) == name_de.lower())
        ).first()
        is not None
    ):
        raise CatalogueError(_("Es gibt schon einen Bereich mit diesem Namen."), "name_de")
    domain = Domain(code=code, name_de=name_de, name_en=name_en)
    session.add(domain)
    _flush_unique(session, code_taken_message(), "code")
    audit.record(session, _actor_id(actor), "domain.created", "domain", None, {"code": code})
    return domain
