"""Coordinator views of the mediator registry: the list (search, filters, sorting, CSV export),
the detail page with checks, status, trainings and the change history, creating and editing.

Every view: load through ``pool/permissions.py`` → validate → call a service → commit once →
flash → redirect. Forms with errors are shown again with status 400 and keep what was typed.
Coordinators manage the mediators of their own pools and read those of pools that share with
them; admins manage all. Caseworkers and mediators get 403 everywhere here.
"""

from __future__ import annotations

import io

from babel.dates import get_day_names
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from pool import audit, deployability
from pool.db import db_session, utcnow
from pool.downloads import csv_cell, csv_writer, download
from pool.enums import MediatorKind, Mode, Role
from pool.forms import add_form_error, choices, save
from pool.i18n import current_language
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.labels import GENDER_LABELS, KIND_LABELS, LEVEL_LABELS, MODE_LABELS, STATUS_LABELS
from pool.languages import language_name, languages
from pool.mediators.forms import (
    MAX_LANGUAGE_ROWS,
    MIN_LANGUAGE_ROWS,
    STATUS_ACTIONS,
    TEXT_FILTERS,
    URL_FILTERS,
    ChecksForm,
    EditMediatorForm,
    MediatorFilterForm,
    MediatorForm,
    ReleaseForm,
    StatusForm,
    TrainingForm,
)
from pool.models import (
    AuditEvent,
    Domain,
    Mediator,
    MediatorStatusChange,
    Office,
    Pool,
    Training,
    User,
)
from pool.models.mediators import POLICE_CERTIFICATE_VALID_YEARS, STATUS_TRANSITIONS
from pool.permissions import deny, load_mediator, mediator_access, mediator_pool_ids, roles_required
from pool.services import mediators as registry
from pool.services.mediators import LanguageSkill, RegistryFilter, today_in_berlin
from pool.views import page_number

bp = Blueprint("mediators", __name__)

COORDINATION = (Role.COORDINATOR, Role.ADMIN)
PER_PAGE = 50
SEARCH_KEY = "mediator_search"
EXPORT_BATCH = 500
HISTORY_LIMIT = 200


def _actor() -> User:
    return current_user._get_current_object()


def _language_choices(empty_label: str):
    return choices([("", empty_label), *((e.code, e.name) for e in languages(current_language()))])


def _domain_name(domain: Domain) -> str:
    return domain.name_en if current_language() == "en" else domain.name_de


def _all_domains() -> list[Domain]:
    return list(db_session().scalars(select(Domain).order_by(Domain.code)))


def _labels() -> dict:
    return {
        "status": STATUS_LABELS,
        "kind": KIND_LABELS,
        "mode": MODE_LABELS,
        "gender": GENDER_LABELS,
        "level": LEVEL_LABELS,
        "action": STATUS_ACTIONS,
    }


def _language_name(code: str) -> str:
    return language_name(code, current_language())


# --- the list -------------------------------------------------------------------------------------


def _visible_pools(scope) -> list[Pool]:
    query = select(Pool).order_by(Pool.name)
    if scope is not None:
        query = query.where(Pool.id.in_(sorted(scope[1])))
    return list(db_session().scalars(query))


def _filter_form(pools: list[Pool], domains: list[Domain], **kwargs) -> MediatorFilterForm:
    form = MediatorFilterForm(**kwargs)
    form.language.choices = _language_choices(_("Alle"))
    form.domain.choices = choices([("", _("Alle")), *((d.code, _domain_name(d)) for d in domains)])
    form.pool.choices = choices([("", _("Alle")), *((p.id, p.name) for p in pools)])
    return form


def _form_from_request(pools, domains) -> MediatorFilterForm:
    """The filters of a GET: selects from the URL, typed texts from the session."""
    values: MultiDict[str, str] = MultiDict()
    for name in URL_FILTERS:
        raw = request.args.get(name)
        if raw is not None:
            values[name] = raw
    saved = session.get(SEARCH_KEY)
    saved = saved if isinstance(saved, dict) else {}
    for name in TEXT_FILTERS:
        value = saved.get(name)
        values[name] = value if isinstance(value, str) else ""
    return _filter_form(pools, domains, formdata=values, meta={"csrf": False})


def _filters(form: MediatorFilterForm) -> RegistryFilter:
    return RegistryFilter(
        text=form.q.data or "",
        language=form.language.data or "",
        dialect=form.dialect.data or "",
        status=form.status.data or "",
        kind=form.kind.data or "",
        municipality=form.municipality.data or "",
        domain=form.domain.data or "",
        deployable={"yes": True, "no": False}.get(form.deployable.data or ""),
        pool_id=form.pool.data,
    )


def _list_query(scope, form: MediatorFilterForm, valid: bool):
    pool_ids = None if scope is None else scope[1]
    filters = _filters(form) if valid else RegistryFilter()
    sort = (form.sort.data if valid else None) or "name"
    return registry.registry_order(registry.registry_query(pool_ids, filters), sort)


def _render_list(form, scope, pools, status_code: int):
    s = db_session()
    valid = status_code == 200
    query = _list_query(scope, form, valid)
    total = (
        s.scalar(
            select(func.count()).select_from(
                query.order_by(None).with_only_columns(Mediator.id).subquery()
            )
        )
        or 0
    )
    pages = max(1, -(-total // PER_PAGE))
    page = min(page_number(request.args.get("page")), pages)
    rows = s.scalars(
        query.limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
        .options(selectinload(Mediator.languages), *registry.registry_loader_options())
    ).all()
    # The one rule, on eager-loaded rows: a constant number of statements for any page.
    context = deployability.load_context(s)
    today = today_in_berlin(utcnow())
    own = None if scope is None else scope[0]
    entries = [
        {
            "mediator": m,
            "result": deployability.check(m, context, today),
            "read_only": own is not None and m.pool_id not in own,
        }
        for m in rows
    ]
    args = form.url_args() if valid else {}
    texts = form.texts() if valid else {}
    return render_template(
        "mediators/index.html",
        form=form,
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        args=args,
        filtered=bool({k: v for k, v in args.items() if k != "sort"} or any(texts.values())),
        can_create=scope is None or bool(scope[0]),
        labels=_labels(),
        language_name=_language_name,
        show_pool=len(pools) > 1,
    ), status_code


@bp.route("/", methods=["GET", "POST"])
@roles_required(*COORDINATION)
def index():
    """The list. Select filters travel in the URL; the typed texts (name or e-mail, dialect,
    municipality) are sent by POST and kept in the session, so they never appear in a URL."""
    s = db_session()
    scope = mediator_pool_ids(s, _actor())
    pools = _visible_pools(scope)
    domains = _all_domains()
    status_code = 200
    if request.method == "POST":
        form = _filter_form(pools, domains)
        if request.form.get("reset"):
            session.pop(SEARCH_KEY, None)
            return redirect(url_for("mediators.index"))
        if form.validate_on_submit():
            session[SEARCH_KEY] = form.texts()
            return redirect(url_for("mediators.index", **form.url_args()))
        status_code = 400
    else:
        form = _form_from_request(pools, domains)
        if not form.validate():
            status_code = 400
    return _render_list(form, scope, pools, status_code)


def _languages_text(mediator: Mediator) -> str:
    parts = []
    for row in mediator.languages:
        detail = str(LEVEL_LABELS.get(row.level, row.level))
        if row.dialects:
            detail += "; " + ", ".join(row.dialects)
        parts.append(f"{_language_name(row.language_code)} ({detail})")
    return ", ".join(parts)


@bp.post("/export")
@roles_required(*COORDINATION)
def export():
    """The filtered list as CSV for Excel (UTF-8 with BOM, ``;``). Contact and skills only:
    no checks, no police-certificate data, no notes."""
    s = db_session()
    actor = _actor()
    scope = mediator_pool_ids(s, actor)
    pools = _visible_pools(scope)
    domains = _all_domains()
    form = _filter_form(pools, domains)
    if not form.validate_on_submit():
        return _render_list(form, scope, pools, 400)
    ids = list(s.scalars(_list_query(scope, form, True).with_only_columns(Mediator.id)))
    domain_names = {d.code: _domain_name(d) for d in domains}
    context = deployability.load_context(s)
    today = today_in_berlin(utcnow())
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            _("Name"),
            _("E-Mail-Adresse"),
            _("Telefon"),
            _("Pool"),
            _("Art"),
            _("Status"),
            _("Sprachen"),
            _("Deutschkenntnisse"),
            _("Geschlecht"),
            _("Gemeinden"),
            _("Fährt auch weiter (km)"),
            _("Einsatzarten"),
            _("Bereiche"),
            _("Höchstens Einsätze im Monat"),
            _("Jetzt einsetzbar"),
            _("Gründe"),
        ]
    )
    for start in range(0, len(ids), EXPORT_BATCH):
        chunk = ids[start : start + EXPORT_BATCH]
        loaded = {
            m.id: m
            for m in s.scalars(
                select(Mediator)
                .where(Mediator.id.in_(chunk))
                .options(
                    selectinload(Mediator.languages),
                    selectinload(Mediator.domains),
                    *registry.registry_loader_options(),
                )  # fmt: skip
            )
        }
        for mediator_id in chunk:
            m = loaded[mediator_id]
            result = deployability.check(m, context, today)
            writer.writerow(
                csv_cell(v)
                for v in (
                    m.name,
                    m.email,
                    m.phone,
                    m.pool.name,
                    KIND_LABELS.get(m.kind, m.kind),
                    STATUS_LABELS.get(m.status, m.status),
                    _languages_text(m),
                    LEVEL_LABELS.get(m.german_level or "", m.german_level or ""),
                    GENDER_LABELS.get(m.gender, "") if m.gender else "",
                    ", ".join(m.municipalities or []),
                    m.travel_km,
                    ", ".join(str(MODE_LABELS[mode]) for mode in m.modes),
                    ", ".join(domain_names.get(c, c) for c in m.domain_codes),
                    m.monthly_cap,
                    _("ja") if result.deployable else _("nein"),
                    " ".join(r.text for r in result.reasons),
                )
            )
        for m in loaded.values():  # keep memory flat on long exports
            s.expunge(m)
    audit.record(s, actor.id, "mediator.exported", "mediator", None, {"rows": len(ids)})
    s.commit()
    filename = f"sprachmittler-{today.isoformat()}.csv"
    return download("\ufeff" + out.getvalue(), filename, "text/csv")


# --- creating and editing -----------------------------------------------------------------------------


def _own_pools() -> list[Pool]:
    scope = mediator_pool_ids(db_session(), _actor())
    query = select(Pool).order_by(Pool.name)
    if scope is not None:
        query = query.where(Pool.id.in_(sorted(scope[0])))
    return list(db_session().scalars(query))


def _setup_mediator_form(form: MediatorForm, offices: list[Office], domains: list[Domain]):
    language_choices = _language_choices(_("Bitte wählen"))
    for entry in form.languages:
        entry.form.code.choices = language_choices
    form.domains.choices = choices((d.code, _domain_name(d)) for d in domains)
    many_pools = len({o.pool_id for o in offices}) > 1
    form.employing_office_id.choices = choices(
        [
            ("", _("keine")),
            *((o.id, f"{o.name} ({o.pool.name})" if many_pools else o.name) for o in offices),
        ]
    )
    return form


def _offices(pool_ids: list[int]) -> list[Office]:
    return list(
        db_session().scalars(
            select(Office)
            .join(Pool, Pool.id == Office.pool_id)
            .where(Office.pool_id.in_(pool_ids))
            .options(selectinload(Office.pool))
            .order_by(Pool.name, Office.name)
        )
    )


def _values(form: MediatorForm) -> dict:
    values = form.values()
    values["languages"] = [LanguageSkill(c, lvl, d) for c, lvl, d in form.languages.skills()]
    return values


def _office_fits(form: MediatorForm, pool_id: int) -> bool:
    office_id = form.employing_office_id.data
    if office_id is None:
        return True
    office = db_session().get(Office, office_id)
    if office is None or office.pool_id != pool_id:
        add_form_error(
            form, _("Die Dienststelle gehört nicht zu diesem Pool."), "employing_office_id"
        )
        return False
    return True


def _email_free(form: MediatorForm, mediator: Mediator) -> bool:
    """Editing: the new address must not belong to another account."""
    email = (form.email.data or "").strip().lower()
    other = (
        db_session()
        .scalars(
            select(User.id).where(func.lower(User.email) == email, User.id != mediator.user_id)
        )
        .first()
    )
    if other is not None and email != mediator.email:
        add_form_error(
            form, _("Diese E-Mail-Adresse gehört schon zu einem anderen Zugang."), "email"
        )
        return False
    return True


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*COORDINATION)
def new():
    pools = _own_pools()
    if not pools:
        abort(403)
    domains = _all_domains()
    form = _setup_mediator_form(MediatorForm(), _offices([p.id for p in pools]), domains)
    form.pool_id.choices = choices([("", _("Bitte wählen")), *((p.id, p.name) for p in pools)])
    if request.method == "GET":
        form.pool_id.data = pools[0].id if len(pools) == 1 else None
        form.modes.data = [Mode.IN_PERSON]
    if form.validate_on_submit() and _office_fits(form, form.pool_id.data):
        pool = next(p for p in pools if p.id == form.pool_id.data)
        saved, mediator = save(
            form,
            lambda: registry.create_mediator(
                db_session(), actor=_actor(), pool=pool, values=_values(form), now=utcnow(),
                invite=True,
            ),
        )  # fmt: skip
        if saved:
            flash(
                _(
                    "%(name)s ist angelegt. Die Einladung zum Festlegen des Passworts ist "
                    "unterwegs.",
                    name=mediator.name,
                ),
                "success",
            )
            return redirect(url_for("mediators.detail", mediator_id=mediator.id))
    return render_template("mediators/form.html", form=form, mediator=None), (
        400 if request.method == "POST" else 200
    )


def _edit_data(mediator: Mediator) -> dict:
    rows = [
        {"code": r.language_code, "level": r.level, "dialects": ", ".join(r.dialects or [])}
        for r in mediator.languages
    ]
    blanks = max(MIN_LANGUAGE_ROWS - len(rows), 2)
    rows += [{"code": "", "level": "", "dialects": ""}] * blanks
    return {
        "name": mediator.name,
        "email": mediator.email,
        "phone": mediator.phone,
        "kind": mediator.kind,
        "gender": mediator.gender or "",
        "german_level": mediator.german_level or "",
        "languages": rows[:MAX_LANGUAGE_ROWS],
        "modes": mediator.modes,
        "domains": mediator.domain_codes,
        "municipalities": ", ".join(mediator.municipalities or []),
        "travel_km": mediator.travel_km,
        "monthly_cap": mediator.monthly_cap,
        "notes": mediator.notes,
        "employing_office_id": mediator.employing_office_id,
        "supervisor_release_by": mediator.supervisor_release_by,
        "supervisor_release_until": mediator.supervisor_release_until,
    }


@bp.route("/<int:mediator_id>/edit", methods=["GET", "POST"])
@roles_required(*COORDINATION)
def edit(mediator_id: int):
    s = db_session()
    mediator = load_mediator(s, _actor(), mediator_id, need="manage")
    data = _edit_data(mediator) if request.method == "GET" else None
    form = EditMediatorForm(data=data) if data is not None else EditMediatorForm()
    _setup_mediator_form(form, _offices([mediator.pool_id]), _all_domains())
    if (
        form.validate_on_submit()
        and _office_fits(form, mediator.pool_id)
        and _email_free(form, mediator)
    ):
        saved, changed = save(
            form,
            lambda: registry.update_mediator(
                s, actor=_actor(), mediator=mediator, values=_values(form), now=utcnow()
            ),
        )
        if saved:
            if changed:
                flash(_("Die Änderungen sind gespeichert."), "success")
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return redirect(url_for("mediators.detail", mediator_id=mediator.id))
    return render_template("mediators/form.html", form=form, mediator=mediator), (
        400 if request.method == "POST" else 200
    )


# --- the detail page --------------------------------------------------------------------------------

AUDIT_LABELS = {
    "mediator.created": _l("Angelegt"),
    "mediator.applied": _l("Bewerbung eingegangen"),
    "mediator.updated": _l("Angaben geändert"),
    "mediator.checks_recorded": _l("Prüfungen eingetragen"),
    "mediator.status_changed": _l("Status geändert"),
    "mediator.training_recorded": _l("Schulung eingetragen"),
    "mediator.guideline_acknowledged": _l("Leitlinie bestätigt"),
    "mediator.availability_changed": _l("Verfügbarkeit geändert"),
}
FIELD_LABELS = {
    "name": _l("Name"),
    "email": _l("E-Mail-Adresse"),
    "phone": _l("Telefon"),
    "kind": _l("Art der Mitarbeit"),
    "gender": _l("Geschlecht"),
    "german_level": _l("Deutschkenntnisse"),
    "languages": _l("Sprachen"),
    "modes": _l("Einsatzarten"),
    "domains": _l("Bereiche"),
    "municipalities": _l("Gemeinden"),
    "travel_km": _l("Fahrstrecke"),
    "monthly_cap": _l("Einsätze im Monat"),
    "notes": _l("Notizen"),
    "employing_office_id": _l("Dienststelle"),
    "supervisor_release_by": _l("Freigabe erteilt von"),
    "supervisor_release_until": _l("Freigabe gültig bis"),
    "staff_consent_at": _l("Einwilligung zur Teilnahme"),
    "interview_on": _l("Erstgespräch"),
    "confidentiality_signed_on": _l("Verschwiegenheitserklärung"),
    "obligation_on": _l("Förmliche Verpflichtung"),
    "police_certificate_seen_on": _l("Führungszeugnis eingesehen"),
    "police_certificate_no_entry": _l("Führungszeugnis ohne Eintrag"),
}


def _audit_label(action: str) -> str:
    return str(AUDIT_LABELS.get(action, action))


def _audit_details(event: AuditEvent) -> str:
    details = event.details or {}
    parts = []
    fields = details.get("fields")
    if isinstance(fields, list):
        parts.append(", ".join(str(FIELD_LABELS.get(f, f)) for f in fields))
    if "from" in details or "to" in details:
        status_from, status_to = details.get("from") or "–", details.get("to") or "–"
        before = STATUS_LABELS.get(status_from, status_from)
        after = STATUS_LABELS.get(status_to, status_to)
        parts.append(f"{before} → {after}")
    if "training" in details:
        parts.append(str(details["training"]))
    if "guideline" in details:
        parts.append(
            _("%(code)s, Fassung %(version)s", code=details["guideline"],
              version=details.get("version", "?"))
        )  # fmt: skip
    if details.get("on_behalf"):
        parts.append(_("durch die Koordination"))
    if details.get("by_self"):
        parts.append(_("von der Person selbst"))
    return "; ".join(p for p in parts if p)


def _history(mediator: Mediator) -> list[dict]:
    rows = db_session().execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == "mediator",
            AuditEvent.object_id == mediator.id,
            AuditEvent.action.like("mediator.%"),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        {
            "at": event.at,
            "action": _audit_label(event.action),
            "actor": actor_name,
            "details": _audit_details(event),
        }
        for event, actor_name in rows
    ]


def _render_detail(mediator: Mediator, *, code: int = 200, **forms):
    s = db_session()
    actor = _actor()
    access = mediator_access(s, actor, mediator)
    if access not in ("manage", "read"):
        abort(403)
    manage = access == "manage"
    context = deployability.load_context(s)
    today = today_in_berlin(utcnow())
    result = deployability.check(mediator, context, today)
    domains = _all_domains()
    chosen = set(mediator.domain_codes)
    gates = [
        {
            "name": _domain_name(d),
            "chosen": d.code in chosen,
            "reasons": deployability.domain_reasons(mediator, context, d.code, today),
        }
        for d in domains
    ]
    changes = list(
        s.scalars(
            select(MediatorStatusChange)
            .where(MediatorStatusChange.mediator_id == mediator.id)
            .options(selectinload(MediatorStatusChange.actor))
            .order_by(MediatorStatusChange.at, MediatorStatusChange.id)
        )
    )
    police_renewal = (
        deployability.add_years(mediator.police_certificate_seen_on, POLICE_CERTIFICATE_VALID_YEARS)
        if mediator.police_certificate_seen_on
        else None
    )
    records = sorted(mediator.training_records, key=lambda r: r.completed_on, reverse=True)
    acknowledgements = sorted(
        mediator.acknowledgements, key=lambda a: a.acknowledged_at, reverse=True
    )
    template_forms = {}
    if manage:
        trainings = list(
            s.scalars(select(Training).where(Training.active.is_(True)).order_by(Training.name))
        )
        checks_form = forms.get("checks_form") or ChecksForm(formdata=None, obj=mediator)
        training_form = forms.get("training_form") or TrainingForm(formdata=None)
        training_form.training_id.choices = choices(
            [("", _("Bitte wählen")), *((t.id, t.name) for t in trainings)]
        )
        release_form = forms.get("release_form") or ReleaseForm(
            formdata=None,
            data={
                "supervisor_release_by": mediator.supervisor_release_by,
                "supervisor_release_until": mediator.supervisor_release_until,
                "staff_consent": mediator.staff_consent_at is not None,
            },
        )
        template_forms = {
            "checks_form": checks_form,
            "status_form": forms.get("status_form") or StatusForm(formdata=None),
            "training_form": training_form,
            "release_form": release_form,
            "has_trainings": bool(trainings),
        }
    return render_template(
        "mediators/detail.html",
        mediator=mediator,
        manage=manage,
        result=result,
        gates=gates,
        domain_names={d.code: _domain_name(d) for d in domains},
        changes=changes,
        history=_history(mediator),
        records=records,
        acknowledgements=acknowledgements,
        police_renewal=police_renewal,
        today=today,
        transitions=STATUS_TRANSITIONS.get(mediator.status, ()),
        weekdays=get_day_names("wide", locale=current_language()),
        labels=_labels(),
        language_name=_language_name,
        **template_forms,
    ), code


@bp.get("/<int:mediator_id>")
@roles_required(*COORDINATION)
def detail(mediator_id: int):
    mediator = load_mediator(db_session(), _actor(), mediator_id, need="read")
    if mediator_access(db_session(), _actor(), mediator) not in ("manage", "read"):
        # A coordinator who is only this mediator themselves: their record lives elsewhere.
        deny("mediator", mediator_id)
    return _render_detail(mediator)


def _managed(mediator_id: int) -> Mediator:
    return load_mediator(db_session(), _actor(), mediator_id, need="manage")


def _back(mediator: Mediator, anchor: str):
    return redirect(url_for("mediators.detail", mediator_id=mediator.id) + "#" + anchor)


@bp.post("/<int:mediator_id>/checks")
@roles_required(*COORDINATION)
def checks(mediator_id: int):
    mediator = _managed(mediator_id)
    form = ChecksForm()
    if form.validate_on_submit():
        saved, changed = save(
            form,
            lambda: registry.record_checks(
                db_session(), actor=_actor(), mediator=mediator, checks=form.checks(), now=utcnow()
            ),
        )
        if saved:
            if changed:
                flash(_("Die Prüfungen sind gespeichert."), "success")
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return _back(mediator, "checks")
    return _render_detail(mediator, code=400, checks_form=form)


@bp.post("/<int:mediator_id>/status")
@roles_required(*COORDINATION)
def status(mediator_id: int):
    mediator = _managed(mediator_id)
    form = StatusForm()
    if form.validate_on_submit():
        to_status = form.to_status.data
        saved, _result = save(
            form,
            lambda: registry.change_status(
                db_session(), actor=_actor(), mediator=mediator, to_status=to_status,
                reason=form.reason.data, now=utcnow(),
            ),
        )  # fmt: skip
        if saved:
            flash(
                _("Der Status ist jetzt: %(status)s.", status=STATUS_LABELS[to_status]), "success"
            )
            return _back(mediator, "status")
    return _render_detail(mediator, code=400, status_form=form)


@bp.post("/<int:mediator_id>/trainings")
@roles_required(*COORDINATION)
def training(mediator_id: int):
    s = db_session()
    mediator = _managed(mediator_id)
    form = TrainingForm()
    active = list(s.scalars(select(Training).where(Training.active.is_(True))))
    form.training_id.choices = choices([("", _("Bitte wählen")), *((t.id, t.name) for t in active)])
    if form.validate_on_submit():
        assert form.completed_on.data is not None  # a required field
        chosen = next(t for t in active if t.id == form.training_id.data)
        saved, record = save(
            form,
            lambda: registry.record_training(
                s, actor=_actor(), mediator=mediator, training=chosen,
                completed_on=form.completed_on.data, now=utcnow(),
            ),
        )  # fmt: skip
        if saved:
            flash(_("%(name)s ist eingetragen.", name=chosen.name), "success")
            return _back(mediator, "trainings")
    return _render_detail(mediator, code=400, training_form=form)


@bp.post("/<int:mediator_id>/release")
@roles_required(*COORDINATION)
def release(mediator_id: int):
    s = db_session()
    mediator = _managed(mediator_id)
    form = ReleaseForm()
    if mediator.kind != MediatorKind.STAFF:
        add_form_error(form, _("Eine Freigabe brauchen nur Mitarbeitende der Verwaltung."))
    elif form.validate_on_submit():
        actor = _actor()

        def change() -> bool:
            changed = registry.update_mediator(
                s, actor=actor, mediator=mediator, now=utcnow(),
                values={"supervisor_release_by": form.supervisor_release_by.data,
                        "supervisor_release_until": form.supervisor_release_until.data},
            )  # fmt: skip
            consent = registry.record_staff_consent(
                s, actor=actor, mediator=mediator, given=bool(form.staff_consent.data),
                now=utcnow(),
            )  # fmt: skip
            return bool(changed) or consent

        saved, changed = save(form, change)
        if saved:
            if changed:
                flash(_("Die Freigabe ist gespeichert."), "success")
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return _back(mediator, "release")
    return _render_detail(mediator, code=400, release_form=form)
