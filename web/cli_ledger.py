"""`yuanjiao ledger …`: verify, export, checkpoint and tail the evidence ledger.

``verify --export FILE`` opens no database and needs no server: an inspector checks an
export on any machine with yuanjiao installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from catalog.evidence.checkpoints import display_code
from catalog.messages import message
from web.cli_base import EXIT_PROBLEM, EXIT_USAGE, Context, pass_context

if TYPE_CHECKING:
    from catalog.evidence.verify import Export


@click.group(help="播放证据台账：校验、导出、签名检查点、查看最近的播放。\n\n"
                  "The playback evidence ledger: verify, export, checkpoint, tail.")
def ledger() -> None:
    pass


def _public_key(ctx: Context) -> str | None:
    from catalog.evidence.checkpoints import load_or_create_key, public_hex

    path = ctx.settings.ledger_key_path
    return public_hex(load_or_create_key(path).public_key()) if path.exists() else None


@ledger.command(help="重新计算哈希链、签名检查点和页面所读的表；发现问题时指出第一条有问题的记录并以"
                     "非零状态退出。\n\nRecompute the chain, the signed checkpoints and the tables "
                     "pages read; name the first bad row and exit non-zero if anything is wrong.")
@click.option("--export", "export_file", type=click.Path(dir_okay=False, path_type=Path),
              help="校验导出文件而不是数据库 / verify an export file instead of the database")
@click.option("--checkpoint", "code", help="电话抽查时记下的检查点校验码 / the code read on "
                                           "the telephone")
@click.option("--public-key", help="检查人员持有的站点公钥（十六进制）/ the station's public "
                                   "key as the inspector holds it (hex)")
@click.option("--against", "earlier_file", type=click.Path(dir_okay=False, path_type=Path),
              help="更早的导出文件：指出此后第一条被改写的记录 / an earlier export: name the "
                   "first row rewritten since")
@click.option("--ledger", "ledger_id", help="台账名，默认为本站编号 / ledger id (default: "
                                            "the station)")
@pass_context
def verify(ctx: Context, export_file: Path | None, code: str | None, public_key: str | None,
           earlier_file: Path | None, ledger_id: str | None) -> None:
    from catalog import verification
    from catalog.evidence import audit

    grace = audit.grace(ctx.settings.checkpoint_minutes)
    earlier = _read_export(ctx, earlier_file) if earlier_file is not None else None
    if export_file is not None:
        report = audit.verify_export(_read_export(ctx, export_file), public_key, code, grace,
                                     earlier)
    else:
        name = ledger_id or (earlier.ledger if earlier is not None else ctx.settings.station)
        db = ctx.open_db()
        try:
            with db.engine.connect() as connection:
                report = audit.verify_stored(connection, name, public_key or _public_key(ctx),
                                             code, grace, earlier,
                                             verification.projection_checks(ctx.settings.data_dir))
                others = (", ".join(f"{ledger} ({count})" for ledger, count
                                    in audit.ledger_names(connection) if ledger != name)
                          if report.rows == 0 else "")
        finally:
            db.close()
        if others:
            ctx.say("ledger_others", ledgers=others)
    found = audit.verdict(report, ctx.lang)
    for line in found.lines:
        click.echo(line, err=not found.ok)
    if found.ok:
        return
    sys.exit(EXIT_PROBLEM)


def _read_export(ctx: Context, path: Path) -> Export:
    from catalog.evidence.verify import read_export

    try:
        return read_export(path)
    except (OSError, ValueError) as exc:
        click.echo(message("ledger_bad_export", ctx.lang, path=path, detail=exc), err=True)
        sys.exit(EXIT_USAGE)


@ledger.command(help="把台账（记录、检查点、公钥）导出为 JSON Lines 文件，可在别的电脑上离线校验。"
                     "\n\nExport the ledger (rows, checkpoints, public key) as JSON Lines, "
                     "verifiable offline on another machine.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ledger", "ledger_id", help="台账名 / ledger id (default: the station)")
@pass_context
def export(ctx: Context, file: Path, ledger_id: str | None) -> None:
    from catalog.evidence.checkpoints import checkpoints, load_or_create_key, make_checkpoint
    from catalog.evidence.ledger import rows
    from catalog.evidence.verify import write_export

    name = ledger_id or ctx.settings.station
    db = ctx.open_db()
    try:
        if ctx.settings.ledger_key_path.exists():
            # The export ends signed: nothing in it is left for a reader to take on trust.
            key = load_or_create_key(ctx.settings.ledger_key_path)
            with db.engine.begin() as connection:
                make_checkpoint(connection, name, key, "export")
        with db.engine.connect() as connection, file.open("w", encoding="utf-8") as out:
            found = checkpoints(connection, name)
            count = write_export(out, name, _public_key(ctx), rows(connection, name), found)
    finally:
        db.close()
    ctx.say("ledger_exported", ledger=name, rows=count, checkpoints=len(found), path=file)


@ledger.command(help="立即签名一个检查点并显示电话校验码。\n\n"
                     "Sign a checkpoint now and print its telephone code.")
@click.option("--ledger", "ledger_id", help="台账名 / ledger id (default: the station)")
@pass_context
def checkpoint(ctx: Context, ledger_id: str | None) -> None:
    from catalog.evidence.checkpoints import load_or_create_key, make_checkpoint

    name = ledger_id or ctx.settings.station
    key = load_or_create_key(ctx.settings.ledger_key_path)
    db = ctx.open_db()
    try:
        with db.engine.begin() as connection:
            made = make_checkpoint(connection, name, key)
    finally:
        db.close()
    if made is None:
        ctx.say("ledger_checkpoint_none", ledger=name)
        sys.exit(EXIT_PROBLEM)
    ctx.say("ledger_checkpoint_made", ledger=name, seq=made.seq, code=display_code(made.code))


@ledger.command(help="显示最近的播放记录。\n\nShow the latest playbacks.")
@click.option("-n", "count", type=int, default=20, show_default=True,
              help="显示条数 / how many")
@pass_context
def tail(ctx: Context, count: int) -> None:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from catalog.evidence.models import Playback

    zone = ZoneInfo(ctx.settings.timezone)
    db = ctx.open_db()
    try:
        with db.session() as session:
            found = list(session.scalars(
                select(Playback).where(Playback.ledger == ctx.settings.station)
                .order_by(Playback.open_seq.desc()).limit(count)))
    finally:
        db.close()
    if not found:
        ctx.say("ledger_no_playbacks", ledger=ctx.settings.station)
        return
    for p in reversed(found):
        ended = (p.closed_at.astimezone(zone).strftime("%H:%M:%S") if p.closed_at
                 else message("ledger_playing", ctx.lang))
        click.echo(f"#{p.open_seq:<6} {p.opened_at.astimezone(zone):%Y-%m-%d %H:%M:%S}–{ended}"
                   f"  《{p.title}》 {p.method} client={p.client} seconds={p.seconds:.0f}")
