"""Station tokens as digests: a copy of the database opens no station, the server still
shows the link, a token issued before migration 0007 keeps working."""

from __future__ import annotations

import hashlib
import shutil

from sqlalchemy import select, text

from catalog import org
from catalog.db import Database, make_engine, upgrade
from catalog.models import OrgNode
from catalog.org import demo_org, station_tokens
from catalog.settings import Settings


def _everything_stored(db: Database) -> str:
    """Every value of every row of org_nodes, as text."""
    with db.engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for row in conn.execute(
            text("SELECT * FROM org_nodes")))


def test_the_database_holds_no_token_and_the_server_derives_it(
        settings: Settings, settings_at, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
        stations = session.scalars(select(OrgNode).where(OrgNode.kind == org.Kind.STATION)).all()
        tokens = {s.id: org.token_of(session, s) for s in stations}
    assert len(tokens) >= 2 and all(tokens.values()) and len(set(tokens.values())) == len(tokens)
    stored = _everything_stored(db)
    for token in tokens.values():
        assert token not in stored  # neither the token nor anything it could be read from
        assert hashlib.sha256(token.encode()).hexdigest() in stored
    with db.session() as session:
        for station_id, token in tokens.items():
            assert org.station_by_token(session, token).id == station_id  # type: ignore[union-attr]
        assert org.station_by_token(session, "x" * 16) is None
    key_file = settings.data_dir / station_tokens.KEY_FILE
    assert key_file.stat().st_mode & 0o077 == 0  # the owner's alone
    db.close()
    # The same database seen by a server with another key (a copied database, or a
    # second server without the key file): tokens still open their stations, none shows.
    other = settings_at(tmp_path / "elsewhere", settings.db_url)
    stranger = Database.open(other)
    with stranger.session() as session:
        station = session.get_one(OrgNode, next(iter(tokens)))
        assert org.token_of(session, station) is None
        assert org.station_by_token(session, tokens[station.id]) is not None
    stranger.close()
    # With the key file copied over, it shows the same links.
    shutil.copy(key_file, other.data_dir / station_tokens.KEY_FILE)
    sharing = Database.open(other)
    with sharing.session() as session:
        station = session.get_one(OrgNode, next(iter(tokens)))
        assert org.token_of(session, station) == tokens[station.id]
    sharing.close()


def test_renewal_ends_the_old_token(settings: Settings) -> None:
    db = Database.open(settings)
    with db.transaction() as session:
        nodes = demo_org.build(session)
        station = session.get_one(OrgNode, nodes["东村站点"].id)
        old = org.token_of(session, station)
        new = org.issue_token(session, station)
        assert new != old and org.token_of(session, station) == new
    with db.session() as session:
        assert org.station_by_token(session, old or "") is None
        assert org.station_by_token(session, new) is not None
    db.close()


def test_a_token_issued_before_the_upgrade_keeps_working(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    upgrade(engine, "0006")
    with engine.begin() as conn:
        for node_id, parent, kind, path, token in (
                (1, None, "city", "/1/", None), (2, 1, "town", "/1/2/", None),
                (3, 2, "organization", "/1/2/3/", None),
                (4, 3, "station", "/1/2/3/4/", "legacy-token-1234")):
            conn.execute(text(
                "INSERT INTO org_nodes (id, parent_id, kind, name, path, station_token, "
                "created_at) VALUES (:i, :p, :k, :n, :path, :t, CURRENT_TIMESTAMP)"),
                {"i": node_id, "p": parent, "k": kind, "n": f"n{node_id}", "path": path,
                 "t": token})
    upgrade(engine)
    engine.dispose()
    db = Database.open(settings)
    assert "legacy-token-1234" not in _everything_stored(db)
    with db.session() as session:
        station = org.station_by_token(session, "legacy-token-1234")
        assert station is not None and station.id == 4
        assert org.token_of(session, station) is None  # it works, but cannot be shown
    db.close()
