"""`yuanjiao user …` and `yuanjiao org …`: accounts and the organization tree from the
server's terminal (the first admin, a forgotten password, a town's setup)."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import org
from catalog.errors import NotFound, YuanjiaoError
from catalog.org import accounts
from catalog.org.models import OrgNode, User
from catalog.terminal import json_line, printable
from web.cli_base import Context, pass_context


def find_node(session: Session, spec: str) -> OrgNode:
    """A node by id, or by its names below the city joined with "/" (城关镇/东村党支部)."""
    if spec.isdigit():
        return org.get_node(session, int(spec))
    node = org.ensure_city(session)
    for name in (part.strip() for part in spec.strip("/").split("/") if part.strip()):
        found = [c for c in org.children(session, node) if c.name == name]
        if not found:
            raise NotFound("node_path_not_found", path=spec, name=name)
        node = found[0]
    return node


def _password(given: str | None) -> tuple[str, bool]:
    """The password to set and whether it is one-time (generated, to be changed)."""
    return (given, False) if given else (accounts.one_time_password(), True)


@click.group(help="登录账号：新建、改密码、列出、停用。\n\nAccounts: add, passwd, list, disable.")
def user() -> None:
    pass


@user.command("add", help="新建账号。不给 --password 时生成一次性密码，首次登录须修改。\n\n"
                          "Add an account; without --password a one-time password is printed.")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in accounts.Role]))
@click.option("--node", "node_spec", default="",
              help="所属层级：编号或“乡镇/组织”路径，默认为市 / node id or path, default the city")
@click.option("--member", "member_id", type=int, help="党员账号对应的人员编号 / member id")
@click.option("--name", "display_name", default="", help="显示名 / display name")
@click.option("--password", default=None, help="初始密码 / initial password")
@pass_context
def user_add(ctx: Context, username: str, role: str, node_spec: str, member_id: int | None,
             display_name: str, password: str | None) -> None:
    secret, one_time = _password(password)
    db = ctx.open_db()
    try:
        with db.transaction() as session:
            node = find_node(session, node_spec)
            member = org.get_member(session, member_id)[0] if member_id else None
            accounts.create_user(session, username, secret, accounts.Role(role), node, member,
                                 display_name, must_change=one_time)
    except YuanjiaoError as exc:
        ctx.fail(exc)
    finally:
        db.close()
    ctx.say("user_added", username=username, role=role, node=node.name)
    if one_time:
        ctx.say("one_time_password", password=secret)


@user.command("passwd", help="重设密码（该账号的所有登录随即失效）。\n\n"
                             "Reset a password; every session of the account ends.")
@click.argument("username")
@click.option("--password", default=None, help="新密码；不给则生成一次性密码 / new password")
@pass_context
def user_passwd(ctx: Context, username: str, password: str | None) -> None:
    secret, one_time = _password(password)
    db = ctx.open_db()
    try:
        with db.transaction() as session:
            account = accounts.find_user(session, username)
            accounts.set_password(session, account, secret, must_change=one_time)
    except YuanjiaoError as exc:
        ctx.fail(exc)
    finally:
        db.close()
    ctx.say("password_set", username=username)
    if one_time:
        ctx.say("one_time_password", password=secret)


@user.command("disable", help="停用账号（--enable 恢复）。\n\n"
                              "Disable an account (--enable undoes).")
@click.argument("username")
@click.option("--enable", is_flag=True)
@pass_context
def user_disable(ctx: Context, username: str, enable: bool) -> None:
    db = ctx.open_db()
    try:
        with db.transaction() as session:
            accounts.set_disabled(session, accounts.find_user(session, username), not enable)
    except YuanjiaoError as exc:
        ctx.fail(exc)
    finally:
        db.close()
    ctx.say("user_enabled" if enable else "user_disabled", username=username)


@user.command("list", help="列出账号。\n\nList accounts.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def user_list(ctx: Context, as_json: bool) -> None:
    db = ctx.open_db()
    with db.session() as session:
        nodes = {n.id: n.name for n in session.scalars(select(OrgNode))}
        rows = [accounts.user_json(u, ctx.lang) | {"node": nodes.get(u.node_id, "")}
                for u in session.scalars(select(User).order_by(User.username))]
    db.close()
    if as_json:
        for row in rows:
            click.echo(json_line(row))
        return
    for row in rows:
        state = " (停用/disabled)" if row["disabled"] else ""
        click.echo(f"{printable(row['username']):<20} {row['role_label']:<8} "
                   f"{printable(row['node'])}{state}")


@click.group("org", help="组织树：新建下级、列出。\n\nThe organization tree: add, list.")
def org_group() -> None:
    pass


@org_group.command("add", help="在 PARENT（编号或路径，空为市）下新建乡镇、组织或站点。\n\n"
                               "Add a town, organization or station under PARENT.")
@click.argument("parent")
@click.argument("name")
@click.option("--code", default=None, help="编号，站点如 XC-012 / code, e.g. XC-012")
@pass_context
def org_add(ctx: Context, parent: str, name: str, code: str | None) -> None:
    db = ctx.open_db()
    try:
        with db.transaction() as session:
            node = org.add_node(session, find_node(session, parent), name, code)
            line = f"{node.id}\t{org.kind_label(node.kind, ctx.lang)}\t{printable(node.name)}"
    except YuanjiaoError as exc:
        ctx.fail(exc)
    finally:
        db.close()
    click.echo(line)


@org_group.command("list", help="列出组织树。\n\nPrint the tree.")
@pass_context
def org_list(ctx: Context) -> None:
    db = ctx.open_db()
    with db.transaction() as session:
        for node in org.subtree(session, org.ensure_city(session)):
            depth = node.path.count("/") - 2
            code = f" [{printable(node.code)}]" if node.code else ""
            click.echo(f"{'  ' * depth}{node.id}\t{org.kind_label(node.kind, ctx.lang)}\t"
                       f"{printable(node.name)}{code}")
    db.close()


@click.command("demo-accounts", help="为示范库建立组织树、人员和各角色的示范账号"
                                     "（README 列出）。\n\nMake the demo's tree, members "
                                     "and one account per role.")
@pass_context
def demo_accounts(ctx: Context) -> None:
    from catalog.org import demo_org

    db = ctx.open_db()
    with db.transaction() as session:
        demo_org.build(session, ctx.settings.city_name)
    db.close()
    for username, role, node, _ in demo_org.USERS:
        click.echo(f"{username:<12} {accounts.role_label(role, ctx.lang):<8} "
                   f"{node or ctx.settings.city_name}  {demo_org.DEMO_PASSWORD}")
