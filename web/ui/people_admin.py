"""People, their organisations and the access policy's settings, administered in the browser
(administrators only): add a colleague; change their name, roles, organisations, password or
administrator right; close or reopen an account and hand a closed account's open work over;
and how many days a closed path stays readable for its former team. The services decide and
log; administrators see a client's pseudonym only, never a name."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.persistence.tables import User
from engine.services import access, instances, people, policy_settings, users, workspace
from engine.services.access import Actor
from engine.workflow.roles import CASE_MANAGER
from web.context import polku
from web.ui import blueprint, current_lang, labels
from web.ui import messages as coded

Errors = dict[str, list[str]]
REASON_MAX = 500

def _days_message() -> str:
    return _(
        "Give a whole number of days from %(low)s to %(high)s.",
        low=policy_settings.MIN_DAYS_AFTER_CLOSING,
        high=policy_settings.MAX_DAYS_AFTER_CLOSING,
    )


def _message(text: str) -> str:
    """A people service's field message in the reader's language (by its code)."""
    return labels.message(text)


def _messages(errors: Errors | None) -> Errors:
    return labels.messages(errors)


@blueprint.app_context_processor
def _people_admin_globals() -> dict[str, Any]:
    actor: Actor | None = g.get("actor")
    return {"administers": actor is not None and access.administers(actor)}


def _admin() -> Actor:
    actor: Actor = g.actor
    if not access.administers(actor):
        raise Forbidden("only administrators manage people", code="people_refused")
    return actor


def _choices(held: list[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """The roles and the organisations to tick, labelled in the reader's language. The case
    manager is named on each path, not held as a role (unless someone already holds it)."""
    ctx, lang = polku(), current_lang()
    catalog = ctx.engine.roles
    codes = [c for c in catalog.codes if c != CASE_MANAGER or c in (held or [])]
    roles = sorted(((c, catalog.label(c, lang)) for c in codes), key=lambda r: r[1])
    found = people.list_organisations(ctx.uow())
    return {"roles": roles, "organisations": [(o.code, o.label(lang)) for o in found]}


def _form_values() -> dict[str, Any]:
    return {
        "username": request.form.get("username", "").strip(),
        "display_name": request.form.get("display_name", "").strip(),
        "password": request.form.get("password", ""),
        "roles": request.form.getlist("roles"),
        "organisations": request.form.getlist("organisations"),
        "is_admin": request.form.get("is_admin") == "1",
    }


# ---------------------------------------------------------------- the list and a new person


@blueprint.get("/admin/people")
def admin_people() -> tuple[str, int]:
    return _render_people()


def _render_people(
    values: dict[str, Any] | None = None, errors: Errors | None = None, status: int = 200
) -> tuple[str, int]:
    ctx, actor = polku(), _admin()
    choices = _choices()
    return render_template(
        "people.html",
        page="people",
        people=people.list_people(ctx.uow(), actor),
        choices=choices,
        organisation_names=dict(choices["organisations"]),
        values=values or {"roles": [], "organisations": []},
        errors=_messages(errors),
    ), status


@blueprint.post("/admin/people")
def admin_add_person() -> Response | tuple[str, int]:
    ctx, actor = polku(), _admin()
    values = _form_values()
    errors: Errors = {}
    if not values["username"]:
        errors["username"] = [coded.REQUIRED]
    if not values["display_name"]:
        errors["display_name"] = [coded.REQUIRED]
    if not errors:
        try:
            user_id = people.add_person(
                ctx.uow(), ctx.clock, actor, ctx.engine.roles,
                username=values["username"], display_name=values["display_name"],
                roles=values["roles"], password=values["password"] or None,
                is_admin=values["is_admin"], organisations=values["organisations"],
            )  # fmt: skip
        except InvalidInput as exc:
            errors = exc.errors or {"username": [exc.message]}
    if errors:
        values["password"] = ""  # never sent back to the browser
        return _render_people(values, errors, 400)
    flash(_("%(name)s was added.", name=values["display_name"]), "success")
    return redirect(url_for("ui.admin_person", user_id=user_id))


# ---------------------------------------------------------------- one person


@blueprint.get("/admin/people/<int:user_id>")
def admin_person(user_id: int) -> tuple[str, int]:
    return _render_person(user_id)


def _render_person(
    user_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    work_values: dict[str, dict[str, str]] | None = None,
    work_errors: dict[str, Errors] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    ctx, actor = polku(), _admin()
    person = people.get_person(ctx.uow(), ctx.clock, actor, user_id)
    choices = _choices(person.roles)
    colleagues = _colleagues(person)
    return render_template(
        "person.html",
        person=person,
        choices=choices,
        organisation_names=dict(choices["organisations"]),
        values=values or {},
        errors=_messages(errors),
        hand_over_choices={
            str(w["task_id"]): _task_colleagues(w, colleagues) for w in person.open_work
        },
        case_manager_choices={
            str(p["instance_id"]): _case_manager_colleagues(p, colleagues)
            for p in person.case_managed
        },
        managed_ids={p["instance_id"] for p in person.case_managed},
        work_values=work_values or {},
        work_errors={key: _messages(e) for key, e in (work_errors or {}).items()},
    ), status


def _colleagues(person: people.Person) -> list[User]:
    """Everyone else with an open account."""
    return [u for u in users.list_users(polku().uow()) if u.id != person.id]


def _task_role(work: dict[str, Any]) -> str | None:
    """The role a colleague needs for the task: its lane's, or for a case manager's task not
    yet assigned to a case manager, the role that holds it meanwhile."""
    lane: str | None = work.get("lane_role")
    if lane != CASE_MANAGER:
        return lane
    held: str | None = work.get("role")
    return None if held == CASE_MANAGER else held  # a named case manager's: any colleague


def _task_colleagues(work: dict[str, Any], colleagues: list[User]) -> list[tuple[str, str]]:
    """Active colleagues who hold the task's role, in the task's organisation when it has one."""
    role, organisation = _task_role(work), work.get("organisation")
    return [
        (u.username, u.display_name)
        for u in colleagues
        if (role is None or role in u.role_codes)
        and (organisation is None or organisation in {o.code for o in u.organisations})
    ]


def _case_manager_colleagues(path: dict[str, Any], colleagues: list[User]) -> list[tuple[str, str]]:
    """Active colleagues with a team role, in the organisation that owns the path."""
    organisation = path.get("organisation")
    return [
        (u.username, u.display_name)
        for u in colleagues
        if u.role_codes
        and (organisation is None or organisation in {o.code for o in u.organisations})
    ]


@blueprint.post("/admin/people/<int:user_id>")
def admin_update_person(user_id: int) -> Response | tuple[str, int]:
    ctx, actor = polku(), _admin()
    values = _form_values()
    before = people.get_person(ctx.uow(), ctx.clock, actor, user_id)
    # only what changed: the access log then says what the administrator did
    changes: dict[str, Any] = {
        key: values[key]
        for key, now in (("roles", before.roles), ("organisations", before.organisations))
        if sorted(set(values[key])) != sorted(now)
    }
    if values["is_admin"] != before.is_admin:
        changes["is_admin"] = values["is_admin"]
    errors: Errors = {}
    if not values["display_name"]:
        errors["display_name"] = [coded.REQUIRED]
    elif values["display_name"] != before.display_name:
        changes["display_name"] = values["display_name"]
    if values["password"]:
        changes["password"] = values["password"]
    if not errors and not changes:
        flash(_("Nothing was changed."), "success")
        return redirect(url_for("ui.admin_person", user_id=user_id))
    if not errors:
        try:
            people.update_person(ctx.uow(), ctx.clock, actor, ctx.engine.roles, user_id, changes)
        except InvalidInput as exc:
            errors = exc.errors or {"display_name": [exc.message]}
    if errors:
        values["password"] = ""
        if "active" in errors:  # their own administrator right
            errors["is_admin"] = errors.pop("active")
        return _render_person(user_id, values=values, errors=errors, status=400)
    flash(_("The changes were saved."), "success")
    return redirect(url_for("ui.admin_person", user_id=user_id))


@blueprint.post("/admin/people/<int:user_id>/account")
def admin_person_account(user_id: int) -> Response | tuple[str, int]:
    """Close the account (after a confirmation) or open it again."""
    ctx, actor = polku(), _admin()
    action = request.form.get("action")
    if action not in ("close", "reopen"):
        raise InvalidInput(
            "choose close or reopen", {"action": [coded.NOT_ALLOWED]},
            code="account_action_unknown",
        )
    if action == "close" and request.form.get("confirm") != "1":
        errors = {"confirm": [_("Tick the box to confirm that the account is to be closed.")]}
        return _render_person(user_id, errors=errors, status=400)
    try:
        person = people.update_person(
            ctx.uow(), ctx.clock, actor, ctx.engine.roles, user_id, {"active": action == "reopen"}
        )
    except InvalidInput as exc:
        refused = {"confirm": exc.errors.get("active") or [exc.message]}
        return _render_person(user_id, errors=refused, status=400)
    name = person.display_name
    if action == "reopen":
        message = _("The account of %(name)s is open again.", name=name)
    elif person.open_work or person.case_managed:
        message = _(
            "The account of %(name)s was closed: their sessions and API tokens ended. Hand "
            "their open work over below.",
            name=name,
        )
    else:
        message = _(
            "The account of %(name)s was closed: their sessions and API tokens ended. They held "
            "no open work.",
            name=name,
        )
    flash(message, "success")
    return redirect(url_for("ui.admin_person", user_id=user_id, _anchor="open-work"))


def _closed_person(user_id: int) -> people.Person:
    """The person whose work is handed over: only a closed account's work moves from here."""
    ctx, actor = polku(), _admin()
    person = people.get_person(ctx.uow(), ctx.clock, actor, user_id)
    if person.active:
        raise Conflict(
            "only a closed account's work is handed over here", code="account_not_closed"
        )
    return person


def _reason() -> tuple[str, Errors]:
    reason = request.form.get("reason", "").strip()
    if not reason:
        return reason, {"reason": [coded.GIVE_REASON]}
    if len(reason) > REASON_MAX:
        return reason, {"reason": [coded.TOO_LONG]}
    return reason, {}


@blueprint.post("/admin/people/<int:user_id>/tasks/<task_id>/hand-over")
def admin_hand_over(user_id: int, task_id: str) -> Response | tuple[str, int]:
    ctx, actor = polku(), _admin()
    person = _closed_person(user_id)
    work = next((w for w in person.open_work if w["task_id"] == task_id), None)
    if work is None:
        raise NotFound(
            f"task {task_id} does not exist", code="task_not_found", params={"task_id": task_id}
        )
    colleagues = _colleagues(person)
    choices = dict(_task_colleagues(work, colleagues))
    to_username = request.form.get("to_username", "").strip()
    reason, errors = _reason()
    if to_username not in choices:
        errors["to_username"] = [coded.NOT_ALLOWED]
    if not errors:
        try:
            workspace.hand_over(ctx.uow(), ctx.clock, actor, task_id, to_username, reason)
        except InvalidInput as exc:
            errors = exc.errors or {"to_username": [exc.message]}
    if errors:
        return _render_person(
            user_id, work_values={task_id: {"to_username": to_username, "reason": reason}},
            work_errors={task_id: errors}, status=400,
        )  # fmt: skip
    flash(_("The task “%(task)s” was handed over to %(name)s.", task=work["name"],
            name=choices[to_username]), "success")  # fmt: skip
    return redirect(url_for("ui.admin_person", user_id=user_id, _anchor="open-work"))


@blueprint.post("/admin/people/<int:user_id>/paths/<int:instance_id>/case-manager")
def admin_case_manager(user_id: int, instance_id: int) -> Response | tuple[str, int]:
    ctx, actor = polku(), _admin()
    person = _closed_person(user_id)
    path = next((p for p in person.case_managed if p["instance_id"] == instance_id), None)
    if path is None:
        raise NotFound(
            f"instance {instance_id} does not exist",
            code="instance_not_found", params={"instance_id": instance_id},
        )
    colleagues = _colleagues(person)
    choices = dict(_case_manager_colleagues(path, colleagues))
    username = request.form.get("username", "").strip()
    reason, errors = _reason()
    if username not in choices:
        errors["username"] = [coded.NOT_ALLOWED]
    if not errors:
        try:
            instances.change_case_manager(
                ctx.uow(), ctx.clock, actor, instance_id, username, reason
            )
        except InvalidInput as exc:
            errors = exc.errors or {"username": [exc.message]}
    key = f"path-{instance_id}"
    if errors:
        return _render_person(
            user_id, work_values={key: {"username": username, "reason": reason}},
            work_errors={key: errors}, status=400,
        )  # fmt: skip
    flash(_("%(name)s is now the case manager of %(client)s.", name=choices[username],
            client=path["client_pseudonym"]), "success")  # fmt: skip
    return redirect(url_for("ui.admin_person", user_id=user_id, _anchor="case-managed"))


# ---------------------------------------------------------------- the access policy's settings


@blueprint.get("/admin/settings")
def admin_settings() -> tuple[str, int]:
    return _render_settings()


def _render_settings(
    value: str | None = None, errors: Errors | None = None, status: int = 200
) -> tuple[str, int]:
    _admin()
    found = policy_settings.get_access_settings(polku().uow())
    return render_template(
        "people.html",  # the administrator's pages share one template
        page="settings",
        settings=found,
        value=str(found.days_after_closing) if value is None else value,
        low=policy_settings.MIN_DAYS_AFTER_CLOSING,
        high=policy_settings.MAX_DAYS_AFTER_CLOSING,
        errors=_messages(errors),
    ), status


@blueprint.post("/admin/settings")
def admin_settings_save() -> Response | tuple[str, int]:
    ctx, actor = polku(), _admin()
    text = request.form.get("days_after_closing", "").strip()
    try:
        if not text.isdigit():
            raise InvalidInput(
                "not a whole number", {"days_after_closing": [_days_message()]},
                code="days_after_closing_invalid",
            )
        saved = policy_settings.set_days_after_closing(ctx.uow(), ctx.clock, actor, int(text))
    except InvalidInput as exc:
        return _render_settings(text, exc.errors, 400)
    flash(
        _("Saved: a closed path stays readable for its former team for %(days)s days.",
          days=saved.days_after_closing),
        "success",
    )  # fmt: skip
    return redirect(url_for("ui.admin_settings"))
