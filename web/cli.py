"""The `yuanjiao` command. Exit codes: 0 done; 1 done with a problem the message names
(e.g. a library root missing); 2 wrong usage; 3 something named does not exist;
4 configuration or database unavailable; 130 interrupted."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from catalog.errors import ConfigError, YuanjiaoError
from catalog.library.themes import parse_theme, theme_label
from catalog.messages import message
from catalog.settings import load_settings
from catalog.terminal import json_line, printable
from web.cli_accounts import demo_accounts, org_group, user
from web.cli_attendance import attendance_command
from web.cli_base import (  # noqa: F401  (re-exported for the commands and tests)
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_PROBLEM,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    Context,
    pass_context,
)
from web.cli_ledger import ledger
from web.cli_reports import report_command


@click.group(help="远教：党员远程教育课件目录与播放服务。\n\n"
                  "Yuanjiao: courseware catalog and streaming server for party-member "
                  "remote education.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="YUANJIAO_DATA_DIR", help="数据目录 / data directory "
              "(env YUANJIAO_DATA_DIR)")
@click.option("--db", "db_url", envvar="YUANJIAO_DB_URL",
              help="数据库 URL / database URL (env YUANJIAO_DB_URL)")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML 配置文件 / TOML settings file (env YUANJIAO_CONFIG)")
@click.option("--lang", type=click.Choice(["zh", "en"]), envvar="YUANJIAO_LANG",
              help="消息语言 / message language (env YUANJIAO_LANG)")
@click.version_option(package_name="yuanjiao")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, db_url: str | None,
        config_file: Path | None, lang: str | None) -> None:
    overrides = {"data_dir": str(data_dir) if data_dir else None, "db_url": db_url, "lang": lang}
    try:
        settings = load_settings(overrides, config_file=config_file)
    except ConfigError as exc:
        click.echo(exc.message(lang or "zh"), err=True)
        sys.exit(EXIT_UNAVAILABLE)
    ctx.obj = Context(settings)


@cli.command(help="扫描媒体库目录，把课件收录进目录。\n\nScan library roots into the catalog.")
@click.argument("roots", nargs=-1, type=click.Path(path_type=Path))
@click.option("--workers", type=int, help="并行 ffprobe 数 / parallel ffprobe runs")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar")
@pass_context
def scan(ctx: Context, roots: tuple[Path, ...], workers: int | None, quiet: bool) -> None:
    from indexer.pipeline import Scanner
    from web.progress import RichProgress, run_with_progress

    chosen = list(roots) or list(ctx.settings.library_roots)
    if not chosen:
        ctx.fail(YuanjiaoError("scan_no_roots"))
    settings = ctx.settings.replace(probe_workers=workers) if workers else ctx.settings
    db = ctx.open_db()
    try:
        progress = None if quiet else RichProgress(message("scan_progress", ctx.lang))
        result = run_with_progress(progress, lambda p: Scanner(db, settings, p).scan(chosen))
    except KeyboardInterrupt:
        ctx.say("scan_interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except YuanjiaoError as exc:
        ctx.fail(exc)
    finally:
        db.close()
    for root in result.missing_roots:
        click.echo(message("scan_root_missing", ctx.lang, root=root), err=True)
    ctx.say("scan_summary", **result.summary_fields())
    _update_index(ctx, result.changed)
    if result.counts["errors"]:
        ctx.say("scan_errors_hint", errors=result.counts["errors"])
    if result.missing_roots:
        sys.exit(EXIT_PROBLEM)


@cli.command(help="列出目录中的课件。\n\nList catalogued items.")
@click.option("--theme", help="只列出该主题 / only this theme")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON Lines / JSON Lines output")
@pass_context
def items(ctx: Context, theme: str | None, as_json: bool) -> None:
    from catalog.library.items import all_items, item_json

    try:
        wanted = parse_theme(theme).value if theme else None
    except YuanjiaoError as exc:
        click.echo(exc.message(ctx.lang), err=True)
        sys.exit(EXIT_USAGE)
    db = ctx.open_db()
    with db.session() as session:
        rows = [item_json(item, ctx.lang) for item in all_items(session, wanted)]
    db.close()
    if as_json:
        echo_json_lines(rows)
        return
    if not rows:
        ctx.say("no_items")
        return
    print_items_table(rows, ctx.lang)


def echo_json_lines(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        click.echo(json_line(row))


def print_items_table(rows: list[dict[str, Any]], lang: str) -> None:
    # rich measures CJK characters as two columns, so Chinese titles stay aligned.
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    en = lang == "en"
    table = Table(box=None, pad_edge=False)
    for header in (("ID", "ID"), ("主题", "Theme"), ("时长", "Duration"), ("格式", "Format"),
                   ("标题", "Title")):
        table.add_column(header[1] if en else header[0], no_wrap=header[0] != "标题",
                         overflow="fold")
    for row in rows:
        # Text cells, not markup: a title "[red]…" is shown as written, and no control
        # character in it reaches the terminal.
        table.add_row(str(row["id"]), row["theme_label"], _clock(row["duration"]),
                      Text(printable(row["format"])), Text(printable(row["title"])))
    Console().print(table)


@cli.command(help="设置课件主题（覆盖自动分类，重新扫描后仍保留）；--clear 取消。\n\n"
                  "Set an item's theme (wins over the rules and survives rescans); "
                  "--clear removes it.")
@click.argument("item_id", type=int)
@click.argument("theme", required=False)
@click.option("--clear", is_flag=True, help="恢复自动分类 / back to the rules' theme")
@pass_context
def theme(ctx: Context, item_id: int, theme: str | None, clear: bool) -> None:
    from catalog.library.items import set_theme_override

    if not clear and theme is None:
        raise click.UsageError("THEME / 主题?")
    try:
        wanted = None if clear else parse_theme(theme or "")
    except YuanjiaoError as exc:
        click.echo(exc.message(ctx.lang), err=True)
        sys.exit(EXIT_USAGE)
    db = ctx.open_db()
    try:
        with db.transaction() as session:
            item = set_theme_override(session, item_id, wanted, set_by="cli")
            label, title = theme_label(item.theme, ctx.lang), item.title
    except YuanjiaoError as exc:
        ctx.fail(exc)
    finally:
        db.close()
    _update_index(ctx, {item_id})  # theme filters and facets follow the override
    if wanted is None:
        ctx.say("theme_cleared", item_id=item_id, title=title, theme_label=label)
    else:
        ctx.say("theme_set", item_id=item_id, title=title, theme_label=label, theme=wanted.value)


@cli.command("scan-errors", help="列出未能收录的文件及原因。\n\n"
                                  "List files that could not be catalogued, with the reason.")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON Lines / JSON Lines output")
@pass_context
def scan_errors(ctx: Context, as_json: bool) -> None:
    from catalog.library.items import list_scan_errors, scan_error_json

    db = ctx.open_db()
    with db.session() as session:
        rows = [scan_error_json(e, ctx.lang) for e in list_scan_errors(session)]
    db.close()
    if as_json:
        echo_json_lines(rows)
        return
    if not rows:
        ctx.say("no_scan_errors")
    for row in rows:
        click.echo(printable(f"{row['root']}/{row['path']}") + "\n    "
                   + printable(row["message"]))


@cli.command(help="启动网页服务。\n\nStart the web server.")
@click.option("--host", help="监听地址 / address to listen on")
@click.option("--port", type=int, help="端口 / port")
@pass_context
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    import uvicorn

    from web.app import create_app
    from web.server import server_config

    settings = ctx.settings.replace(host=host or ctx.settings.host,
                                    port=port or ctx.settings.port)
    try:
        app = create_app(settings)
    except YuanjiaoError as exc:
        ctx.fail(exc)
    ctx.say("serve_listening", host=settings.host, port=settings.port)
    # Warnings of our own (a ledger that cannot be written, a tail signed after a crash) on
    # the terminal with their time; playback lines go to standard output as they are.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.Server(server_config(app, settings.host, settings.port, settings.trusted_proxies,
                                 log_level="warning")).run()


@cli.command(help="从目录重建搜索索引（扫描后会自动更新）。\n\n"
                  "Rebuild the search index from the catalog (scans keep it up to date).")
@pass_context
def reindex(ctx: Context) -> None:
    _reindex(ctx, quiet=False)


def _update_index(ctx: Context, changed: set[int]) -> None:
    """What a scan or a theme change touched, into the search index (made if missing)."""
    from indexer.search_index import SearchIndex

    index = SearchIndex(ctx.settings.data_dir / "search-index")
    if not index.open():
        _reindex(ctx, quiet=True)
        return
    if changed:
        db = ctx.open_db()
        try:
            index.update(db, changed)
        finally:
            index.close()
            db.close()


def _reindex(ctx: Context, quiet: bool) -> None:
    import time

    from indexer.search_index import SearchIndex

    db = ctx.open_db()
    started = time.monotonic()
    try:
        count = SearchIndex(ctx.settings.data_dir / "search-index").rebuild(db)
    finally:
        db.close()
    if not quiet:
        ctx.say("reindex_done", count=count, seconds=f"{time.monotonic() - started:.1f}")


@cli.command("settings", help="显示生效的设置及其来源；--docs 输出设置说明表。\n\n"
                               "Show the settings in force and where each came from; --docs "
                               "prints the reference table.")
@click.option("--docs", is_flag=True, help="输出 docs/settings.md 的表格 / print the docs table")
@pass_context
def show_settings(ctx: Context, docs: bool) -> None:
    from sqlalchemy.engine import make_url

    from catalog.settings import SETTINGS

    if docs:
        click.echo(settings_table())
        return
    for setting in SETTINGS:
        value = getattr(ctx.settings, setting.name)
        if isinstance(value, tuple):
            value = ", ".join(str(v) for v in value) or "—"
        if setting.name == "db_url":
            value = make_url(value).render_as_string(hide_password=True)
        click.echo(f"{setting.name:<15} = {value}    [{ctx.settings.sources[setting.name]}]")


def settings_table() -> str:
    from catalog.settings import SETTINGS

    lines = ["| 设置 setting | 默认 default | 环境变量 environment | 说明 | Meaning |",
             "|---|---|---|---|---|"]
    for s in SETTINGS:
        default = s.default if s.default not in ("", []) else "—"
        lines.append(f"| `{s.name}` | `{default}` | `YUANJIAO_{s.name.upper()}` | "
                     f"{s.help_zh} | {s.help_en} |")
    return "\n".join(lines)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


cli.add_command(ledger)
cli.add_command(attendance_command)
cli.add_command(report_command)
cli.add_command(user)
cli.add_command(org_group)
cli.add_command(demo_accounts)


def main() -> None:
    cli(prog_name="yuanjiao")



if __name__ == "__main__":
    main()
