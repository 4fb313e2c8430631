"""The content-hash cache: per-file extraction results and the compiled rules, kept between scans.

Per-file extraction is a pure function of (tool, rules, language, path, module name, imported
objects, content), so its result is stored under a hash of exactly those inputs and reused while
they stay the same. "Tool" is the version plus a hash of the extractor's own source files and
the tree-sitter packages' versions, so an edited checkout never reads results of older code;
"rules" is the hash of the rule files. Only the outcome of an extraction that finished is kept
(a result, or "the prefilter drops it"); a file that timed out, crashed or could not be read is
tried again next time.

The store is one SQLite database (``extract.sqlite3``, WAL mode, so two scans can share it) in
the cache folder: ``.contracts-cache/`` in the scanned root unless the user names another
(``--cache-dir``, ``CONTRACTS_CACHE_DIR``, ``[tool.contracts] cache_dir``, the last one only
inside the root). Each entry carries a checksum: an entry that does not match, or does not
decode, is dropped and recomputed. The store is bounded (``max_bytes``): past it, the least
recently used entries are removed. Entries are pickles read back with an unpickler that builds
only the extractor's own data classes (and plain containers), so a planted cache file can make
no code run. The cache is an optimisation: a store that cannot be opened, or a write that fails,
leaves the scan uncached, never failed.

Two more things live in the store. The **stat memo** (table ``files``): a file's (size, mtime_ns,
ctime_ns, inode) → the hash of its bytes, so that a re-scan hashes (and reads) only the files whose
status changed (``digest``). A file written again with the same size inside the filesystem's
timestamp granularity keeps its status; as git does with its "racily clean" index entries, a
record is trusted only when the file's mtime and ctime were at least ``RACY_NS`` older than the
moment the file was hashed (a write after that moment gives a later mtime): a file changed in
the last two seconds before a scan is hashed again next time, whatever its status. ctime cannot be
set back by a program (``touch -d`` sets mtime and moves ctime), and the inode changes when an
editor saves by renaming a new file over the old. Clocks of a network filesystem more than
``RACY_NS`` apart from this machine's are not covered (``--no-cache`` is). The **scan outcome**:
a whole scan's facts, diagnostics and call index, keyed on every input of the stages after the
per-file extraction (``extractor.scan``), so a re-scan of unchanged files decodes one entry.
"""

from __future__ import annotations

import builtins
import dataclasses
import enum
import gc
import hashlib
import importlib
import io
import operator
import os
import pathlib
import pickle
import re
import sqlite3
import stat
import sys
import time
import types
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .safeio import WriteError, write_text

DEFAULT_FOLDER = ".contracts-cache"
DB_NAME = "extract.sqlite3"
ENV_VAR = "CONTRACTS_CACHE_DIR"
DEFAULT_MAX_BYTES = 512 << 20
"""Entries kept in all (compressed), before the least recently used ones are evicted."""
SCHEMA = 1
RACY_NS = 2_000_000_000
"""A file's status is trusted for its hash only when the file was last changed at least this long
before it was hashed (FAT's 2 s granularity; ext4 and APFS have nanoseconds, ext3 and HFS+ 1 s)."""
MAX_STATUS_ROWS = 500_000
"""The stat memo is cleared past this many files (it is rebuilt by hashing, once)."""
_TAGS = {
    "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n# contracts: extraction cache (safe to delete)\n",
    ".gitignore": "# contracts: extraction cache (safe to delete)\n*\n",
}
_DB_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal")
_GRAMMARS = ("tree-sitter", "tree_sitter")


class CacheError(Exception):
    """A cache folder that cannot be used (it leaves the root, is a symbolic link, ...)."""


# ---------------------------------------------------------------- what the entries key on
_FINGERPRINT: list[bytes] = []


def tool_fingerprint() -> bytes:
    """The extractor's version, its source files (so an edited checkout never reads results of
    older code), the bundled schemas, the Python version and the tree-sitter packages installed."""
    if _FINGERPRINT:
        return _FINGERPRINT[0]
    h = hashlib.sha256(f"{__version__}\0{SCHEMA}\0{sys.version_info[:2]}\0".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(p for suffix in ("*.py", "*.json", "*.scm") for p in package.rglob(suffix)):
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"?")
    h.update(b"\0".join(sorted(_grammar_versions())))
    _FINGERPRINT.append(h.digest())
    return _FINGERPRINT[0]


def _grammar_versions() -> Iterable[bytes]:
    """``name==version`` of the installed tree-sitter packages, from their ``*.dist-info`` folders' names."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and name.lower().startswith(_GRAMMARS):
                yield name.encode()


def file_digest(paths: Iterable[tuple[str, Path]]) -> str:
    """A hash of named files' contents (a rule set): what the compiled rules are keyed on."""
    h = hashlib.sha256()
    for name, path in sorted(paths):
        h.update(name.encode() + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


# ---------------------------------------------------------------- safe decoding
_PLAIN = {name: getattr(builtins, name) for name in ("set", "frozenset", "slice", "complex", "bytearray", "range")}
_PATHS = {name: getattr(pathlib, name) for name in ("PurePosixPath", "PureWindowsPath", "PosixPath", "WindowsPath")}


class _Unpickler(pickle.Unpickler):
    """Builds the extractor's data classes (dataclasses, enums, dict and list subclasses of
    ``extractor``), paths and plain containers only: a function, or a class of any other module,
    is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name.startswith(_BUILT + "."):
            return _builder_named(name[len(_BUILT) + 1 :])
        if module == __name__ and name == "_rebuild":
            return _rebuild
        if module == "builtins" and name in _PLAIN:
            return _PLAIN[name]
        if module == "pathlib" and name in _PATHS:
            return _PATHS[name]
        if (module == "extractor" or module.startswith("extractor.")) and name.isidentifier():
            obj = getattr(importlib.import_module(module), name, None)
            if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or issubclass(obj, (enum.Enum, dict, list))):
                return obj
        raise pickle.UnpicklingError(f"{module}.{name} may not be loaded from the cache")


_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass with ``__slots__`` (and no ``__dict__``), else ()."""
    names = _SLOTS.get(cls)
    if names is None:
        slotted = isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__dictoffset__ == 0
        names = _SLOTS[cls] = tuple(f.name for f in dataclasses.fields(cls)) if slotted else ()
    return names


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    """A slotted dataclass from its field values, without running ``__init__`` (as pickle's own
    ``__setstate__`` does, minus its per-object ``fields()`` call: 2/3 of a warm scan's decoding),
    each field set by its slot's descriptor (a fifth less than ``object.__setattr__`` by name)."""
    setters = _SETTERS.get(cls) or _setters(cls)
    if not setters or len(values) != len(setters):
        raise pickle.UnpicklingError(f"{cls!r} is not a data class the cache stores")
    obj: Any = object.__new__(cls)
    for put, value in zip(setters, values):
        put(obj, value)
    return obj


_SETTERS: dict[type, tuple[Callable[[Any, Any], None], ...]] = {}


def _setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of each field's slot descriptor of a slotted dataclass (it sets a frozen
    class's field as ``object.__setattr__`` does), () for any other class."""
    names = _slots(cls) if isinstance(cls, type) else ()
    slots: list[Any] = [getattr(cls, name, None) for name in names]
    got = tuple(d.__set__ for d in slots) if all(isinstance(d, types.MemberDescriptorType) for d in slots) else ()
    if isinstance(cls, type):
        _SETTERS[cls] = got
    return got


_VALUES: dict[type, Callable[[Any], tuple[Any, ...]] | None] = {}


def _values_of(cls: type) -> Callable[[Any], tuple[Any, ...]] | None:
    """A function giving a slotted dataclass's field values as a tuple (``operator.attrgetter``, in
    C: the pickler calls it for every such object of a result), None for any other class."""
    names = _slots(cls) if cls.__module__.startswith("extractor.") else ()
    if not names:
        get = None
    elif len(names) == 1:
        one = operator.attrgetter(names[0])
        get = lambda obj: (one(obj),)  # noqa: E731
    else:
        get = operator.attrgetter(*names)
    _VALUES[cls] = get
    return get


class _Built:
    """The rebuilders (``_builder``) by name: a pickle names one as ``_Built.<module>__<class>``."""


_BUILT = _Built.__name__
_BUILDERS: dict[type, Callable[..., Any]] = {}


def _builder(cls: type) -> Callable[..., Any] | None:
    """A function building a slotted dataclass of the extractor from its field values, as
    positional arguments, without ``__init__``: made for the class (its fields' slot setters bound),
    so that the unpickler calls it with the values it has read (one Python call an object, no
    ``_rebuild`` looking the class's setters up and looping over them: decoding 35-40 % faster
    on the bench corpus's results). None for any other class."""
    got = _BUILDERS.get(cls)
    if got is not None:
        return got
    setters = _setters(cls) if cls.__module__.startswith("extractor.") else ()
    if not setters:
        return None
    args = ", ".join(f"v{i}" for i in range(len(setters)))
    body = "".join(f"    s{i}(obj, v{i})\n" for i in range(len(setters)))
    space: dict[str, Any] = {"new": object.__new__, "cls": cls, **{f"s{i}": put for i, put in enumerate(setters)}}
    exec(f"def build({args}):\n    obj = new(cls)\n{body}    return obj\n", space)  # (a fixed text: only the field count varies)
    build: Any = space["build"]
    name = f"{cls.__module__}.{cls.__qualname__}".replace("_", "_u").replace(".", "_d")  # (reversible: _builder_named)
    build.__module__, build.__qualname__, build.__name__ = __name__, f"{_BUILT}.{name}", name
    setattr(_Built, name, build)
    _BUILDERS[cls] = build
    return build


def _builder_named(name: str) -> Callable[..., Any]:
    """The rebuilder of the class a stored pickle names (``extractor_dvalues_dConst``: ``_u`` is
    ``_``, ``_d`` a dot): only a slotted dataclass of the extractor's modules (as
    ``_Unpickler.find_class`` allows)."""
    module, _, qualname = re.sub(r"_(.)", lambda m: "_" if m[1] == "u" else "." if m[1] == "d" else "?", name).rpartition(".")
    cls = None
    if (module == "extractor" or module.startswith("extractor.")) and qualname.isidentifier():
        cls = getattr(importlib.import_module(module), qualname, None)
    build = _builder(cls) if isinstance(cls, type) and dataclasses.is_dataclass(cls) else None
    if build is None or build.__name__ != name:
        raise pickle.UnpicklingError(f"{name} may not be loaded from the cache")
    return build


_REDUCERS: dict[type, tuple[Callable[..., Any], Callable[[Any], tuple[Any, ...]]] | None] = {}


def _reducer(cls: type) -> tuple[Callable[..., Any], Callable[[Any], tuple[Any, ...]]] | None:
    get = _values_of(cls)
    build = _builder(cls) if get is not None else None
    got = _REDUCERS[cls] = (build, get) if build is not None and get is not None else None
    return got


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        how = _REDUCERS[cls] if cls in _REDUCERS else _reducer(cls)
        if how is None:
            return NotImplemented
        return how[0], how[1](obj)


def encode_plain(value: Any) -> bytes:
    """The value's pickle, as stored (uncompressed): two values with the same pickle are equal."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=5).dump(value)
    return buffer.getvalue()


def encode(value: Any) -> bytes:
    return zlib.compress(encode_plain(value), 1)


def decode(data: bytes) -> Any:
    """The stored value. The cycle collector is paused while it is rebuilt: unpickling allocates
    many objects, and collections in between walked them again (about half of a warm scan's decoding)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _Unpickler(io.BytesIO(zlib.decompress(data))).load()
    finally:
        if paused:
            gc.enable()


# ---------------------------------------------------------------- the store
@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0
    corrupt: int = 0
    evicted: int = 0
    errors: list[str] = field(default_factory=list)


class ExtractionCache:
    """One open store. ``get``/``put`` are cheap; writes and the hits' use times are kept in
    memory and written by ``flush`` in one transaction (called after each pass and on ``close``)."""

    def __init__(self, folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, salt: bytes = b"") -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.salt = tool_fingerprint() + salt
        self.stats = CacheStats()
        self._pending: dict[bytes, tuple[bytes, bytes]] = {}
        self._used: set[bytes] = set()
        self._status: dict[str, tuple[int, int, int, int, bytes, int]] | None = None  # the stat memo, read on first use
        self._new_status: dict[str, tuple[int, int, int, int, bytes, int]] = {}
        self._db: sqlite3.Connection | None = None
        for name in _DB_FILES:  # SQLite follows a link: none may be one
            try:
                if stat.S_ISLNK(os.lstat(folder / name).st_mode):
                    raise CacheError(f"{(folder / name).as_posix()}: a symbolic link; the cache is not used")
            except FileNotFoundError:
                pass
        try:
            db = sqlite3.connect(str(folder / DB_NAME), timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, data BLOB NOT NULL, checksum BLOB NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS entries_used ON entries (used)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, inode INTEGER NOT NULL, digest BLOB NOT NULL, hashed INTEGER NOT NULL)"
            )
        except sqlite3.Error as exc:
            raise CacheError(f"{(folder / DB_NAME).as_posix()}: cannot open the cache: {exc}") from None
        self._db = db

    # -- keys
    def key(self, *parts: str, content: bytes = b"", digest: bytes | None = None) -> bytes:
        """The entry key of an extraction: the tool and rules (``salt``), the given parts (language,
        path, module, ...) and the content's hash (``digest``, else the hash of ``content``)."""
        h = hashlib.sha256(self.salt)
        for part in parts:
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        h.update(digest if digest is not None else hashlib.sha256(content).digest())
        return h.digest()

    # -- the stat memo
    def digest(self, path: str, st: os.stat_result, read: Callable[[], bytes | None]) -> bytes | None:
        """The SHA-256 of the file at ``path`` (whose status is ``st``): the recorded one when its
        size, mtime, ctime and inode are the recorded ones and the record is not racy (module
        docstring), else the hash of ``read()`` (None: the file is not hashed), recorded for next time."""
        if self._status is None:
            self._status = self._read_status()
        status = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        row = self._status.get(path)
        if row is not None and row[:4] == status and row[5] - max(status[1], status[2]) >= RACY_NS:
            return row[4]
        hashed = time.time_ns()  # before the read: a write after it gives the file a later mtime
        data = read()
        if data is None:
            return None
        found = hashlib.sha256(data).digest()
        self._status[path] = self._new_status[path] = (*status, found, hashed)
        return found

    def raw_many(self, keys: list[bytes]) -> list[bytes] | None:
        """The stored bytes of ``keys`` (``raw``), in order; None when one is absent or corrupted."""
        found: dict[bytes, bytes] = {}
        for key in keys:
            if key in self._pending:
                found[key] = self._pending[key][0]
        wanted = sorted(set(keys) - found.keys())
        if self._db is not None:
            try:
                for n in range(0, len(wanted), 500):
                    chunk = wanted[n : n + 500]
                    rows = self._db.execute(f"SELECT key, data, checksum FROM entries WHERE key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                    for key, data, checksum in rows:
                        if hashlib.sha256(data).digest() == checksum:
                            found[bytes(key)] = bytes(data)
            except sqlite3.Error as exc:
                self._error(f"cache not read: {exc}")
                return None
        if len(found) < len(set(keys)):
            return None
        self._used.update(keys)
        return [found[key] for key in keys]

    def _read_status(self) -> dict[str, tuple[int, int, int, int, bytes, int]]:
        if self._db is None:
            return {}
        try:
            rows = self._db.execute("SELECT path, size, mtime, ctime, inode, digest, hashed FROM files").fetchall()
        except sqlite3.Error as exc:
            self._error(f"cache not read: {exc}")
            return {}
        return {r[0]: (r[1], r[2], r[3], r[4], bytes(r[5]), r[6]) for r in rows}

    def raw(self, key: bytes) -> bytes | None:
        """An entry's stored bytes, checksum verified, not decoded (``decode`` them when needed); None when absent or corrupted."""
        pending = self._pending.get(key)
        row = pending if pending is not None else self._select(key)
        if row is None or hashlib.sha256(row[0]).digest() != row[1]:
            if row is not None:
                self.stats.corrupt += 1
                self._delete(key)
            return None
        self._used.add(key)
        return row[0]

    # -- reads and writes
    def get(self, key: bytes) -> Any | None:
        """The stored value, or None (absent, or corrupted: then removed)."""
        pending = self._pending.get(key)
        row = (pending[0], pending[1]) if pending is not None else self._select(key)
        if row is None:
            self.stats.misses += 1
            return None
        data, checksum = row
        try:
            if hashlib.sha256(data).digest() != checksum:
                raise ValueError("checksum mismatch")
            value = decode(data)
        except Exception:
            self.stats.corrupt += 1
            self.stats.misses += 1
            self._pending.pop(key, None)
            self._delete(key)
            return None
        self.stats.hits += 1
        self._used.add(key)
        return value

    def put(self, key: bytes, value: Any) -> None:
        try:
            data = encode(value)
        except Exception as exc:  # a value that does not pickle is simply not cached
            self._error(f"not cached: {type(exc).__name__}: {exc}")
            return
        self._pending[key] = (data, hashlib.sha256(data).digest())

    def flush(self) -> None:
        """Write the new entries and the hits' use times; evict the least recently used past ``max_bytes``."""
        db = self._db
        if db is None or (not self._pending and not self._used and not self._new_status):
            return
        now = time.time_ns()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO entries (key, data, checksum, size, used) VALUES (?, ?, ?, ?, ?)",
                    [(k, d, c, len(d) + 64, now) for k, (d, c) in sorted(self._pending.items())],
                )
                db.executemany("UPDATE entries SET used = ? WHERE key = ?", [(now, k) for k in sorted(self._used - set(self._pending))])
                if self._new_status:
                    if db.execute("SELECT COUNT(*) FROM files").fetchone()[0] + len(self._new_status) > MAX_STATUS_ROWS:
                        db.execute("DELETE FROM files")
                    db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", [(p, *row) for p, row in sorted(self._new_status.items())])
                self._evict(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self.stats.writes += len(self._pending)
        except sqlite3.Error as exc:
            self._error(f"cache not written: {exc}")
        self._pending.clear()
        self._used.clear()
        self._new_status.clear()

    def _evict(self, db: sqlite3.Connection) -> None:
        total = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        if total <= self.max_bytes:
            return
        goal = self.max_bytes * 9 // 10  # leave room, so that the next scan does not evict again at once
        doomed: list[bytes] = []
        for key, size in db.execute("SELECT key, size FROM entries ORDER BY used, key"):
            if total <= goal:
                break
            doomed.append(key)
            total -= size
        db.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in doomed])
        self.stats.evicted += len(doomed)

    def _select(self, key: bytes) -> tuple[bytes, bytes] | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT data, checksum FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._error(f"cache not read: {exc}")
            return None
        return (bytes(row[0]), bytes(row[1])) if row is not None else None

    def _delete(self, key: bytes) -> None:
        if self._db is not None:
            try:
                self._db.execute("DELETE FROM entries WHERE key = ?", (key,))
            except sqlite3.Error as exc:
                self._error(f"cache entry not removed: {exc}")

    def _error(self, message: str) -> None:
        if len(self.stats.errors) < 10:
            self.stats.errors.append(message)

    def entries(self) -> int:
        """How many entries the store holds (tests, ``-v``)."""
        if self._db is None:
            return 0
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> ExtractionCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- where it lives
def cache_folder(root: Path, *, option: Path | None = None, configured: str = "", environ: dict[str, str] | None = None) -> tuple[Path, Path | None]:
    """The cache folder, and the root it must stay inside (None: a folder the user named, anywhere).

    In order: ``--cache-dir`` (``option``), ``$CONTRACTS_CACHE_DIR``, the repository's
    ``cache_dir`` (``configured``, a path inside the root: the scanned repository may not choose
    where the tool writes outside it), else ``.contracts-cache`` in the root.
    """
    env = (environ if environ is not None else os.environ).get(ENV_VAR, "")
    if option is not None:
        return Path(option), None
    if env:
        return Path(env), None
    rel = configured or DEFAULT_FOLDER
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in rel:
        raise CacheError(f"cache_dir {rel!r} must be a folder inside the scanned root")
    return root / pure, root


def open_cache(root: Path, *, option: Path | None = None, configured: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> ExtractionCache:
    """Create (if needed) and open the cache folder for a scan of ``root``.

    A folder inside the root is created through ``safeio`` (no symbolic link on the way, none at
    the folder: nothing is written outside the root); a folder the user named is created with
    its parents. Raises ``CacheError`` when it cannot be used.
    """
    folder, inside = cache_folder(root, option=option, configured=configured)
    try:
        if inside is not None:
            rel = PurePosixPath(folder.relative_to(inside).as_posix())
            for name, text in _TAGS.items():
                if not (folder / name).is_file() or (folder / name).is_symlink():
                    write_text(inside, rel / name, text)
            real = Path(os.path.realpath(folder))
            if not real.is_relative_to(os.path.realpath(inside)):
                raise CacheError(f"{folder.as_posix()}: leaves the scanned root; the cache is not used")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in _TAGS.items():
                if not (folder / name).is_file() or (folder / name).is_symlink():
                    write_text(folder, name, text)
    except (OSError, WriteError) as exc:
        raise CacheError(f"{folder.as_posix()}: cannot use it as the cache: {exc}") from None
    return ExtractionCache(folder, max_bytes=max_bytes)
