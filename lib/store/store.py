"""The snapshot store over SQLAlchemy Core: the same code on the embedded SQLite file and
on a PostgreSQL server; an engine URL is the seam (lib.store.config chooses it).

Writes go through one writer thread per Store (`submit`), so a page never waits for the
disk; `save` is the same write, synchronous, for tools and tests.
"""
from __future__ import annotations

import contextlib
import json
import queue
import secrets
import string
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lib.model import Product
from lib.store import codec, schema
from lib.store.errors import StoreError, hide_passwords, plain_reason
from lib.store.facts import Facts, sku_frame
from lib.store.history import History, build_history

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_S = 5
STATUS_KEPT = 5000          # outcomes of recent writes remembered for status()
PENDING, SAVED = "pending", "saved"


_ID_ALPHABET = string.ascii_letters + string.digits


def new_snapshot_id() -> str:
    """12 random letters and digits (71 bits): made where the write is asked for, so the
    pinned link is known before the write ends, and unique across replicas without a
    sequence. No "-" or "_": an id starting with "-" would read as a formula in a
    spreadsheet and be exported with a quote in front."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"The history database's folder {path.parent} cannot be "
                                 f"created ({exc.strerror or exc}).", str(exc)) from exc
        engine = sa.create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection, _record):       # readers never block the writer
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
        return engine
    args = {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    return sa.create_engine(url, connect_args=args, pool_pre_ping=True)


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration (Alembic), in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Replicas starting together migrate one after the other (held to commit).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


MIGRATION_LOCK_KEY = 0x6578706C     # "expl": one advisory lock id for our migrations


@contextlib.contextmanager
def _migration_lock(engine: sa.Engine):
    """For a SQLite file: an exclusive lock on a file beside it while the first
    connection switches it to WAL and migrates (SQLite answers "locked" at once there,
    without waiting, when two processes or threads create the same file together)."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        yield
        return
    import fcntl

    with open(f"{database}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_store(url: str | None = None) -> "Store":
    """The store at `url` (default: lib.store.config.store_url()), its schema migrated to
    the newest version. Raises StoreError when it cannot be opened and written."""
    from lib.store.config import store_url

    url = url or store_url()
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
    except Exception as exc:
        raise StoreError("The history database address (EXPLORER_DB_URL) cannot be read.",
                         str(exc)) from exc
    try:
        engine = _engine(url)
        migrate(engine)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"The history database could not be opened: {plain_reason(exc)}.",
                         f"{shown}: {exc}") from exc
    return Store(engine, shown)


class Store:
    def __init__(self, engine: sa.Engine, url_text: str) -> None:
        self.engine = engine
        self.url_text = url_text
        self.dialect = engine.dialect.name
        self._queue: queue.Queue = queue.Queue()
        self._status: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    # --- writing -----------------------------------------------------------------------
    def _insert_blobs(self, connection, blobs: dict[str, tuple[bytes, str]]) -> None:
        """Insert the blobs the store does not have yet (content-addressed: a blob that
        is there already is the same bytes)."""
        table = schema.blobs
        have = set()
        digests = list(blobs)
        for start in range(0, len(digests), 500):
            have.update(connection.execute(sa.select(table.c.sha256).where(
                table.c.sha256.in_(digests[start:start + 500]))).scalars())
        missing = [{"sha256": d, "kind": kind, "size": len(data), "data": codec.compress(data)}
                   for d, (data, kind) in blobs.items() if d not in have]
        if not missing:
            return
        if self.dialect in ("sqlite", "postgresql"):    # a replica may insert it meanwhile
            insert = (sqlite.insert if self.dialect == "sqlite"
                      else postgresql.insert)(table).on_conflict_do_nothing()
        else:
            insert = table.insert()
        connection.execute(insert, missing)

    def _write_all(self, connection, products: Iterable[Product], source: str,
                   ids: list[str] | None = None) -> list[str]:
        """Write snapshots of `products` in bulk: blobs first, then the rows."""
        blobs: dict[str, tuple[bytes, str]] = {}
        rows, written = [], []
        saved_at = datetime.now(timezone.utc)
        for index, product in enumerate(products):
            if product.query is None:
                raise StoreError("This product has no query to file it under, so it was "
                                 "not saved.")
            snapshot_id = ids[index] if ids else new_snapshot_id()
            encoded = codec.encode(product)
            doc_sha = codec.sha256(encoded.doc)
            blobs.setdefault(doc_sha, (encoded.doc, "doc"))
            variants_sha = codec.sha256(encoded.variants)
            blobs.setdefault(variants_sha, (encoded.variants, "variants"))
            raw_sha = None
            if encoded.raw is not None:
                raw_sha = codec.sha256(encoded.raw)
                blobs.setdefault(raw_sha, (encoded.raw, "raw"))
            rows.append(dict(encoded.row, id=snapshot_id, source=source, saved_at=saved_at,
                             doc_sha=doc_sha, raw_sha=raw_sha, variants_sha=variants_sha))
            written.append(snapshot_id)
        if blobs:
            self._insert_blobs(connection, blobs)
        if rows:
            connection.execute(schema.snapshots.insert(), rows)
        return written

    @contextlib.contextmanager
    def _writing(self, failure: str):
        """One write transaction; any database error becomes a StoreError that starts
        with `failure` and says the reason in plain words."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{failure}: {plain_reason(exc)}.", str(exc)) from exc

    def save(self, product: Product, *, source: str = "fetch",
             snapshot_id: str | None = None) -> str:
        """Write one snapshot now; its id. Raises StoreError with a plain reason."""
        snapshot_id = snapshot_id or new_snapshot_id()
        with self._writing("This fetch was not saved to the history") as connection:
            self._write_all(connection, [product], source, [snapshot_id])
        return snapshot_id

    def save_many(self, products: Iterable[Product], *, source: str) -> list[str]:
        with self._writing("The snapshots were not saved") as connection:
            return self._write_all(connection, products, source)

    def submit(self, product: Product, *, source: str = "fetch") -> str:
        """Queue one snapshot for the writer thread; its id, at once."""
        snapshot_id = new_snapshot_id()
        self._remember(snapshot_id, PENDING)
        self._enqueue(lambda: self.save(product, source=source, snapshot_id=snapshot_id),
                      snapshot_id)
        return snapshot_id

    def submit_task(self, task: Callable[[], Any]) -> threading.Event:
        """Run `task` on the writer thread, after the writes queued before it; the event
        is set when it has run (whatever its outcome)."""
        done = threading.Event()

        def run() -> None:
            try:
                task()
            finally:
                done.set()
        self._enqueue(run, None)
        return done

    def _enqueue(self, task: Callable[[], Any], snapshot_id: str | None) -> None:
        with self._lock:
            self._idle.clear()
            self._queue.put((task, snapshot_id))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, name="snapshot-writer",
                                                daemon=True)
                self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                task, snapshot_id = self._queue.get(timeout=5)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                task()
                outcome: Any = SAVED
            except StoreError as exc:
                outcome = exc
            except Exception as exc:            # never lose the thread to one write
                outcome = StoreError(f"This fetch was not saved to the history: "
                                     f"{plain_reason(exc)}.", str(exc))
            if snapshot_id:
                self._remember(snapshot_id, outcome)
            with self._lock:
                self._queue.task_done()
                if self._queue.unfinished_tasks == 0:
                    self._idle.set()

    def _remember(self, snapshot_id: str, outcome: Any) -> None:
        with self._lock:
            self._status[snapshot_id] = outcome
            self._status.move_to_end(snapshot_id)
            while len(self._status) > STATUS_KEPT:
                self._status.popitem(last=False)

    def status(self, snapshot_id: str) -> str | StoreError:
        """"pending", "saved", or the StoreError of a write this process asked for; for
        any other id, "saved" when the store has it, else "unknown"."""
        with self._lock:
            if snapshot_id in self._status:
                return self._status[snapshot_id]
        return SAVED if self.exists(snapshot_id) else "unknown"

    def wait(self, snapshot_id: str, timeout: float) -> str | StoreError:
        """The status of a write, waiting up to `timeout` s while it is pending."""
        deadline = datetime.now().timestamp() + timeout
        while True:
            outcome = self.status(snapshot_id)
            if outcome != PENDING or datetime.now().timestamp() >= deadline:
                return outcome
            self._idle.wait(0.02)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued write has run; False if some still run at `timeout`."""
        return self._idle.wait(timeout)

    # --- reading -----------------------------------------------------------------------
    def exists(self, snapshot_id: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(schema.snapshots.c.id).where(
                schema.snapshots.c.id == snapshot_id)).first() is not None

    def _blob(self, connection, digest: str | None) -> bytes | None:
        if digest is None:
            return None
        data = connection.execute(sa.select(schema.blobs.c.data).where(
            schema.blobs.c.sha256 == digest)).scalar_one()
        return codec.decompress(data)

    def _variants(self, connection, digests: Iterable[str]) -> dict[str, tuple]:
        """Variant blobs by digest: (properties, [(sku_id, values)])."""
        wanted = list(dict.fromkeys(digests))
        found = {}
        for start in range(0, len(wanted), 500):
            for digest, data in connection.execute(
                    sa.select(schema.blobs.c.sha256, schema.blobs.c.data).where(
                        schema.blobs.c.sha256.in_(wanted[start:start + 500]))):
                found[digest] = codec.variants_doc(codec.decompress(data))
        return found

    def load(self, snapshot_id: str) -> Product | None:
        """The product exactly as that snapshot saw it (product.pinned), or None."""
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(schema.snapshots).where(
                schema.snapshots.c.id == snapshot_id)).first()
            if found is None:
                return None
            row = dict(found._mapping)
            return codec.decode(row, self._blob(connection, row["doc_sha"]),
                                self._blob(connection, row["raw_sha"]))

    def _facts(self, connection, row: dict) -> Facts:
        properties = tuple(json.loads(row["properties"]))
        names, variants = self._variants(connection, [row["variants_sha"]])[row["variants_sha"]]
        moving = codec.unpack_values(row["sku_values"])
        records = []
        for index, (sku_id, values) in enumerate(variants):
            records.append({"sku_id": sku_id, **dict(zip(names, values)),
                            **{c: moving[c][index] for c in
                               ("price", "sale_price", "currency", "stock")}})
        return Facts(snapshot_id=row["id"], fetched_at=row["fetched_at"],
                     demo=bool(row["demo"]), title=row["title"], status=row["status"],
                     currency=row["product_currency"], properties=properties,
                     skus=sku_frame(records, properties),
                     product_rating=row["product_rating"], review_count=row["review_count"],
                     sales_count=row["sales_count"], sales_text=row["sales_text"],
                     ratings=json.loads(row["ratings"]))

    def facts(self, snapshot_ids: Iterable[str]) -> dict[str, Facts]:
        """What each snapshot says (Facts, without the raw answer), by id; ids the store
        does not have are left out."""
        wanted = [str(i) for i in dict.fromkeys(snapshot_ids) if i]
        found: dict[str, Facts] = {}
        table = schema.snapshots
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                for row in connection.execute(sa.select(table).where(
                        table.c.id.in_(wanted[start:start + 500]))):
                    found[row.id] = self._facts(connection, dict(row._mapping))
        return found

    def previous(self, query, before: datetime, exclude: str = "") -> Facts | None:
        """The newest snapshot of the same query taken before `before` (not `exclude`)."""
        table = schema.snapshots
        with self.engine.connect() as connection:
            found = connection.execute(
                sa.select(table).where(table.c.query_key == codec.query_key(query),
                                       table.c.fetched_at < before, table.c.id != exclude)
                .order_by(table.c.fetched_at.desc()).limit(1)).first()
            return None if found is None else self._facts(connection, dict(found._mapping))

    def history(self, query) -> History:
        """Every snapshot of `query` (platform, id, ship-to, currency, language)."""
        snaps = schema.snapshots
        key = codec.query_key(query)
        with self.engine.connect() as connection:
            result = connection.execute(
                sa.select(*[c for c in snaps.c if c.name not in ("doc_sha", "raw_sha")])
                .where(snaps.c.query_key == key).order_by(snaps.c.fetched_at))
            names = list(result.keys())
            rows = [dict(zip(names, r)) for r in result]
            variants = self._variants(connection, [r["variants_sha"] for r in rows])
        return build_history(query, rows, variants)

    def count(self, query=None) -> int:
        table = schema.snapshots
        statement = sa.select(sa.func.count()).select_from(table)
        if query is not None:
            statement = statement.where(table.c.query_key == codec.query_key(query))
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    # --- keeping -------------------------------------------------------------------------
    def prune(self, older_than_days: float, now: datetime | None = None) -> int:
        """Delete snapshots fetched more than `older_than_days` ago, their variant rows and
        the blobs no snapshot uses any more; how many snapshots went."""
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
        snaps, blobs = schema.snapshots, schema.blobs
        with self.engine.begin() as connection:
            removed = connection.execute(snaps.delete().where(snaps.c.fetched_at < cutoff)).rowcount
            used = sa.union(sa.select(snaps.c.doc_sha), sa.select(snaps.c.variants_sha),
                            sa.select(snaps.c.raw_sha).where(snaps.c.raw_sha.is_not(None)))
            connection.execute(blobs.delete().where(blobs.c.sha256.not_in(used)))
        return int(removed or 0)

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(schema.meta.c.value).where(
                schema.meta.c.key == key)).scalar_one_or_none()

    def load_once(self, key: str, value: str, products: Callable[[], Iterable[Product]],
                  *, source: str) -> bool:
        """Save `products()` unless meta `key` already says `value` (then False). Claimed
        and written in one transaction, so two processes starting at once load it once;
        snapshots of an older value of `key` (same source) are replaced."""
        table = schema.meta
        with self._writing("The demo history was not loaded") as connection:
            current = connection.execute(
                sa.select(table.c.value).where(table.c.key == key)
                .with_for_update()).scalar_one_or_none()
            if current == value:
                return False
            if current is None:
                claim = (sqlite.insert if self.dialect == "sqlite" else
                         postgresql.insert)(table).values(key=key, value=value)
                if connection.execute(claim.on_conflict_do_nothing()).rowcount == 0:
                    return False           # another process claimed it just now
            else:
                connection.execute(schema.snapshots.delete().where(
                    schema.snapshots.c.source == source))
                connection.execute(table.update().where(table.c.key == key)
                                   .values(value=value))
            self._write_all(connection, products(), source)
        return True

    def close(self) -> None:
        self.wait_idle(10)
        self.engine.dispose()


__all__ = ["Store", "StoreError", "open_store", "new_snapshot_id", "hide_passwords"]
