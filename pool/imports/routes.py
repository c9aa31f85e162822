"""Importing mediators from CSV and XLSX: upload → column mapping → preview → confirm → progress.

Nothing is written to the registry until the coordinator confirms. The confirmed import runs in
chunks, one request (and one transaction) each, so the progress page can show how far it is; the
button (or import.js) asks for the next chunk until the job is done.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from pool.db import db_session, utcnow
from pool.enums import ImportStatus, Role
from pool.forms import ConfirmForm, choices
from pool.i18n import gettext as _
from pool.imports import parsing
from pool.imports.forms import UploadForm, level_label, mapping_form
from pool.languages import language_name
from pool.models import ImportJob, Pool, User
from pool.permissions import deny, roles_required
from pool.services import ServiceError
from pool.services import imports as service

bp = Blueprint("imports", __name__)

# The upload may be larger than the app's general request limit (2 MB).
UPLOAD_REQUEST_LIMIT = parsing.MAX_FILE_BYTES + 256 * 1024
PREVIEW_ROWS = 200
PROBLEM_ROWS = 2000


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values):
    # Runs before the CSRF check reads the form, so the larger limit applies to the upload only.
    if endpoint == "imports.index" and request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_LIMIT


def _actor() -> User:
    return current_user._get_current_object()


def _pools_for(user: User) -> list[Pool]:
    query = select(Pool).order_by(Pool.name)
    if not user.has_role(Role.ADMIN):
        query = query.where(Pool.id.in_(user.coordinated_pool_ids or [-1]))
    return list(db_session().scalars(query))


def _may_import_into(user: User, pool_id: int) -> bool:
    return user.has_role(Role.ADMIN) or pool_id in user.coordinated_pool_ids


def _load_job(job_id: int) -> ImportJob:
    if not 0 < job_id < 2**31:
        abort(404)
    job = db_session().get(ImportJob, job_id)
    if job is None:
        abort(404)
    if not _may_import_into(_actor(), job.pool_id):
        deny("import_job", job_id)
    return job


def _open_jobs(user: User) -> list[ImportJob]:
    query = (
        select(ImportJob)
        .where(ImportJob.status != ImportStatus.DONE)
        .order_by(ImportJob.created_at)
    )
    if not user.has_role(Role.ADMIN):
        query = query.where(ImportJob.pool_id.in_(user.coordinated_pool_ids or [-1]))
    return list(db_session().scalars(query.limit(20)))


# --- upload ---------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def index():
    actor = _actor()
    pools = _pools_for(actor)
    form = UploadForm()
    form.pool.choices = choices((p.id, p.name) for p in pools)
    if request.method == "GET" and len(pools) == 1:
        form.pool.data = pools[0].id
    if form.validate_on_submit():
        if not _may_import_into(actor, form.pool.data):
            deny("pool", form.pool.data)
        pool = db_session().get(Pool, form.pool.data)
        if pool is None:
            abort(404)
        upload = form.file.data
        try:
            data = upload.stream.read(parsing.MAX_FILE_BYTES + 1)
        finally:
            upload.close()
        try:
            parsed = parsing.read_file(upload.filename or "", data)
        except parsing.FileProblem as problem:
            form.file.errors = [*form.file.errors, str(problem.message)]
        else:
            s = db_session()
            job = service.create_job(s, actor=actor, pool=pool, parsed=parsed, now=utcnow())
            s.commit()
            return redirect(url_for("imports.mapping", job_id=job.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "imports/index.html", form=form, pools=pools, jobs=_open_jobs(actor)
    ), status


# --- mapping --------------------------------------------------------------------------------------


def _samples(job: ImportJob, count: int = 3) -> list[list[str]]:
    """Up to ``count`` example values per column (shown as hints)."""
    samples: list[list[str]] = [[] for _ in job.headers or []]
    for _line, cells in job.cells or []:
        for index, value in enumerate(cells[: len(samples)]):
            if value and len(samples[index]) < count:
                samples[index].append(parsing.shown(value, 40))
        if all(len(s) >= count for s in samples):
            break
    return samples


@bp.route("/<int:job_id>/mapping", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def mapping(job_id: int):
    job = _load_job(job_id)
    if job.status not in (ImportStatus.MAPPING, ImportStatus.READY):
        return redirect(url_for("imports.job", job_id=job.id))
    headers = job.headers or []
    if request.method == "POST":
        form = mapping_form(headers, formdata=request.form)
    else:
        form = mapping_form(headers, mapping=job.mapping,
                            default_level=(job.options or {}).get("default_level"))  # fmt: skip
    if form.validate_on_submit():
        s = db_session()
        try:
            service.set_mapping(s, actor=_actor(), job=job, mapping=form.mapping,
                                default_level=form.default_level.data or None, now=utcnow())  # fmt: skip
            s.commit()
        except ServiceError as exc:
            s.rollback()
            form.form_errors.append(exc.message)
        else:
            return redirect(url_for("imports.job", job_id=job.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "imports/mapping.html", job=job, form=form, samples=_samples(job)
    ), status


# --- preview, progress, result --------------------------------------------------------------------


def _languages_text(values: dict) -> str:
    parts = []
    for code, level, dialects in values.get("languages", []):
        text = f"{language_name(code)} ({level_label(level)})"
        if dialects:
            text += ": " + ", ".join(dialects)
        parts.append(text)
    return "; ".join(parts)


@bp.get("/<int:job_id>")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def job(job_id: int):
    job = _load_job(job_id)
    if job.status == ImportStatus.MAPPING:
        return redirect(url_for("imports.mapping", job_id=job.id))
    context = {"job": job, "form": ConfirmForm(formdata=None)}
    if job.status == ImportStatus.READY:
        rows = job.rows or []
        problems = [
            (row["line"], parsing.problem_text(problem))
            for row in rows
            for problem in row["problems"]
        ]
        context.update(
            problems=problems[:PROBLEM_ROWS],
            more_problems=max(0, len(problems) - PROBLEM_ROWS),
            bad_count=sum(1 for row in rows if row["problems"]),
            preview=[
                {
                    "line": row["line"],
                    "name": row["values"].get("name", ""),
                    "email": row["values"].get("email", ""),
                    "languages": _languages_text(row["values"]),
                    "ok": not row["problems"],
                }
                for row in rows[:PREVIEW_ROWS]
            ],
        )
    elif job.status == ImportStatus.DONE:
        context["skipped"] = [(line, message) for line, message in job.skipped or []]
    return render_template("imports/job.html", **context)


@bp.post("/<int:job_id>/confirm")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def confirm(job_id: int):
    job = _load_job(job_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    s = db_session()
    if job.status != ImportStatus.READY or job.good_count == 0:
        flash(_("Dieser Import wurde schon gestartet oder ist abgeschlossen."), "error")
        return redirect(url_for("imports.job", job_id=job.id))
    if not service.confirm(s, actor=_actor(), job=job, now=utcnow()):
        s.rollback()
        flash(_("Dieser Import wurde schon gestartet oder ist abgeschlossen."), "error")
        return redirect(url_for("imports.job", job_id=job.id))
    s.commit()
    return _next_chunk(job)


@bp.post("/<int:job_id>/continue")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def proceed(job_id: int):
    job = _load_job(job_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    return _next_chunk(job)


def _next_chunk(job: ImportJob):
    s = db_session()
    size = int(current_app.config.get("IMPORT_CHUNK_SIZE", service.CHUNK_SIZE))
    service.process_chunk(s, actor=_actor(), job=job, now=utcnow(), size=size)
    s.commit()
    if job.status == ImportStatus.DONE:
        flash(
            _("Import abgeschlossen: %(count)s Personen angelegt.", count=job.imported_count),
            "success",
        )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            done=job.done_count,
            total=job.good_count,
            finished=job.status == ImportStatus.DONE,
            url=url_for("imports.job", job_id=job.id),
        )
    return redirect(url_for("imports.job", job_id=job.id))


@bp.post("/<int:job_id>/discard")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def discard(job_id: int):
    job = _load_job(job_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    s = db_session()
    status = job.status
    service.discard(s, actor=_actor(), job=job)
    s.commit()
    if status == ImportStatus.RUNNING:
        flash(_("Import abgebrochen. Die bis dahin angelegten Personen bleiben gespeichert."))
    elif status != ImportStatus.DONE:
        flash(_("Die Datei wurde verworfen. Es wurde nichts gespeichert."))
    return redirect(url_for("imports.index"))
