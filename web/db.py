"""The server's records, through SQLAlchemy: SQLite in the data folder by default, PostgreSQL by URL.

The schema is created and upgraded by Alembic (web/migrations); `open_database` runs the migrations to the
newest revision before the server answers, so an upgraded perfrules upgrades its database on first start.

Scores are kept as text (Decimal's own digits), never as a float column. A Scoring row is written once and
never changed: a new ruleset version gives a new row beside the old one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FsPath
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
                        create_engine, event, text)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def now() -> dt.datetime:
    """Times are stored in UTC without a zone (the same on SQLite and PostgreSQL) and shown in local time."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """A budget unit (预算单位) of the county; it has one account and takes part in rounds."""
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)   # 停用: history kept, no login


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))           # bureau | unit
    label: Mapped[str] = mapped_column(String(50))          # 财政局 / 复核机构 / 预算单位
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)   # bumped at logout: old cookies stop working
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class Round(Base):
    """A self-evaluation round (年度自评): year, kind, the ruleset pinned as id@version, a deadline."""
    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    ruleset_ref: Mapped[str] = mapped_column(String(200))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ruleset_note: Mapped[str] = mapped_column(Text, default="")   # why this ruleset (chosen by kind and year)


class Entry(Base):
    """One unit in one round: where its submission stands."""
    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="open")   # open | submitted | returned | reviewed
    comment: Mapped[str] = mapped_column(Text, default="")            # the bureau's comment when returning
    submitted_upload_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    deadline: Mapped[dt.date | None] = mapped_column(Date, nullable=True)   # this unit's own (an extension)


class Blob(Base):
    """An uploaded file's bytes, kept once by sha256 under the data folder (blobs/ab/abcdef…)."""
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class Upload(Base):
    """One version of a unit's file for a round; every version is kept, the latest counts."""
    __tablename__ = "uploads"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))       # as the unit named it: shown, never used as a path
    suffix: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class Scoring(Base):
    """One scoring of one upload under one ruleset. Written once, never updated."""
    __tablename__ = "scorings"
    __table_args__ = (UniqueConstraint("upload_id", "ruleset_ref", "ruleset_sha256", "engine_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"), index=True)
    input_sha256: Mapped[str] = mapped_column(String(64))
    ruleset_ref: Mapped[str] = mapped_column(String(200))
    ruleset_sha256: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(40))
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    ok: Mapped[bool] = mapped_column(Boolean)                  # read and scored (it may still have findings)
    total: Mapped[str | None] = mapped_column(String(40), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(40), nullable=True)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(Text)                  # JSON: the batch row and the scorecard, or the error


class Standard(Base):
    """A bureau's own version of a 评分标准 (a ruleset), uploaded as a workbook or YAML: kept with its sha256,
    never edited in place (a change is a new version); a draft until it is published to a round."""
    __tablename__ = "standards"
    __table_args__ = (UniqueConstraint("ruleset_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300), default="")
    extends: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    yaml: Mapped[str] = mapped_column(Text)                   # the ruleset as perfrules reads it
    tests: Mapped[str] = mapped_column(Text, default="")      # its test cases (x.test.yaml), when given
    filename: Mapped[str] = mapped_column(String(200))        # as uploaded: shown, never used as a path
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LoginFailure(Base):
    """One failed login, counted against a key (an account name, an address): kept in the database, not in a
    server process, so that every process behind a proxy counts the same failures."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at_ms: Mapped[int] = mapped_column(BigInteger, index=True)   # Unix time in milliseconds (each server's clock)


class Audit(Base):
    """Who did what when: login, upload, submit, return, review, export, …; read by the bureau."""
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(40))
    round_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")


def database_url(data: FsPath, url: str | None) -> str:
    return url or f"sqlite:///{(data / 'perfrules.sqlite3').resolve()}"


def open_database(url: str) -> tuple[Engine, Any]:
    """Connect, upgrade the schema to the newest migration, and return the engine and a session factory."""
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn: Any, _record: Any) -> None:   # pragma: no cover - run by SQLAlchemy
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")     # readers do not wait for the writer
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


MIGRATION_LOCK = 0x70657266   # "perf": the PostgreSQL advisory lock that serialises migrations


def upgrade(engine: Engine) -> None:
    """Migrate to the newest revision. Several servers may start at once on one database: on PostgreSQL an
    advisory lock held for the migration's transaction makes the others wait and then find nothing to do;
    on SQLite (processes of one machine) an exclusive lock on a file beside the database does the same."""
    from alembic import command
    with _sqlite_lock(engine):
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


class _sqlite_lock:
    def __init__(self, engine: Engine):
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.path = FsPath(database + ".migrate-lock") if database and database != ":memory:" else None
        self.handle: Any = None

    def __enter__(self) -> None:
        if self.path is None:
            return
        self.handle = open(self.path, "a+b")
        import sys
        if sys.platform == "win32":
            import msvcrt
            self.handle.seek(0)
            msvcrt.locking(self.handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl
            fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: Any) -> None:
        if self.handle is not None:
            self.handle.close()   # closing releases the lock on every platform


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(FsPath(__file__).parent / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg
