"""`yuanjiao attendance SESSION`: a session's attendance as the API gives it, on the
terminal (a table, or JSON with --json)."""

from __future__ import annotations

import json

import click

from catalog.attendance import Policy
from catalog.errors import NotFound, YuanjiaoError
from catalog.messages import message
from catalog.planning.models import StudySession
from catalog.terminal import printable
from web.attendance.present import session_attendance
from web.cli_base import Context, pass_context


@click.command("attendance", help="显示一次活动的签到考勤：各项人数、参学率和每人的状态。\n\n"
                                  "Show a session's attendance: figures, rate, each person.")
@click.argument("session_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / JSON output")
@pass_context
def attendance_command(ctx: Context, session_id: int, as_json: bool) -> None:
    db = ctx.open_db()
    try:
        with db.session() as session:
            study = session.get(StudySession, session_id)
            if study is None:
                raise NotFound("session_not_found", session_id=session_id)
            found = session_attendance(session, study, Policy.of(ctx.settings), ctx.lang)
    except YuanjiaoError as error:
        ctx.fail(error)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    _print(found, ctx.lang)


def _print(found: dict, lang: str) -> None:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    en = lang == "en"
    study, fig = found["session"], found["figures"]
    rate = "—" if fig["rate"] is None else f"{fig['rate'] * 100:.1f}%"
    console = Console()
    console.print(Text(printable(f"{study['organization']['name']} · {study['title']} · "
                                 f"{study['starts_at'][:16].replace('T', ' ')}")))
    console.print(Text(message("attendance_cli_figures", lang, expected=fig["expected"],
                               present=fig["present"], late=fig["late"], leave=fig["leave"],
                               absent=fig["absent"], pending=fig["pending"],
                               exempt=fig["exempt"], rate=rate,
                               target=f"{fig['target'] * 100:.0f}%",
                               late_entries=fig["late_entries"])))
    table = Table(box=None, pad_edge=False)
    for zh, english in (("姓名", "Name"), ("状态", "Status"), ("方式", "Method"),
                        ("时间", "Time"), ("标记", "Flags")):
        table.add_column(english if en else zh)
    for person in found["members"]:
        flags = " ".join(message(f"attendance_flag_{f}", lang) for f in person["flags"])
        table.add_row(Text(printable(person["name"])), person["status_label"],
                      person["method_label"], (person["at_event"] or "")[11:16], flags)
    console.print(table)
