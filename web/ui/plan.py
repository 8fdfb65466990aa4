"""The work ability support plan (työkyvyn tuen suunnitelma) as a printable document, with its
revisions: each completion of a support-plan form is one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, g, render_template, request

from engine.services import queries, records
from engine.services.access import Actor
from engine.services.records import Submission
from web.context import polku
from web.ui import blueprint
from web.ui.documents import Section, plan_sections
from web.ui.model_texts import model_form


@dataclass
class Revision:
    number: int  # 1 = the first plan
    submission: Submission
    sections: list[Section]

    @property
    def at(self) -> Any:
        return self.submission.submitted_at

    @property
    def by(self) -> str:
        return self.submission.submitted_by


def revisions_of(submissions: list[Submission]) -> list[Revision]:
    return [
        Revision(number, s, plan_sections(model_form(None, s.form) if s.form else s.form, s.data))
        for number, s in enumerate(submissions, start=1)
    ]


def plan_revisions(actor: Actor, instance_id: int) -> list[Revision]:
    ctx = polku()
    return revisions_of(
        records.support_plan_revisions(ctx.uow(), ctx.engine, ctx.clock, actor, instance_id)
    )


@blueprint.get("/paths/<int:instance_id>/plan")
def plan_page(instance_id: int) -> str:
    ctx = polku()
    actor: Actor = g.actor
    path = queries.get_instance(ctx.uow(), ctx.clock, actor, instance_id)
    revisions = plan_revisions(actor, instance_id)
    number = request.args.get("revision", type=int)
    shown = revisions[-1] if revisions else None
    if number is not None:
        if not 1 <= number <= len(revisions):
            abort(404)
        shown = revisions[number - 1]
    return render_template(
        "plan.html",
        path=path,
        revisions=revisions,
        shown=shown,
        latest=revisions[-1] if revisions else None,
        now=ctx.clock(),
    )
