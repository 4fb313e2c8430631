"""Every file the tool writes goes through here, so no write can leave the folder it belongs to.

A write names a *root* (the scanned repository, the docs folder, or the folder the user named for
``-o``) and a path relative to it. The folders between the root and the file are opened one by one
without following symbolic links (a link anywhere on the way, or at the file itself, is refused,
even one that points back inside the root), missing folders are created, the text goes to a
temporary file with a fresh random name created exclusively in the target folder, and an atomic
rename puts it in place. A reader therefore sees the old file or the new one, never half of one,
and a link planted at any name the tool uses is never written through.

On systems without ``dir_fd`` support (Windows) the same checks are made on paths.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_DIR_FD = {os.open, os.mkdir, os.rename, os.stat, os.unlink, os.rmdir, os.link} <= os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


MAX_TEXT_BYTES = 1_000_000
"""The largest configuration or manifest file read as text (YAML, JSON, properties, nginx, .env)."""


class TooLarge(OSError):
    """A file over the size limit: refused before it is read (its ``strerror`` says how large)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"too large ({size} bytes; the limit is {limit})", str(path))
        self.size = size
        self.limit = limit


def files_under(root: Path, folder: Path, suffixes: tuple[str, ...], skip_dirs: frozenset[str] = frozenset()) -> list[Path]:
    """The files below ``folder`` whose names end with one of ``suffixes``, in walk order (a folder's
    files by name, then its folders by name), for readers that
    look through a service's sources themselves: no symbolic link is followed out of ``root`` (a
    linked folder is not entered, a linked file counts only when it resolves inside ``root``), and
    hidden folders and ``skip_dirs`` are not entered."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in skip_dirs)
        out += [path for name in sorted(filenames) if name.endswith(suffixes) and is_file_inside(root, path := Path(dirpath) / name)]
    return out


def is_file_inside(root: Path, path: Path) -> bool:
    """Whether ``path`` is a file that is, or links to, a file inside ``root`` (a link out of the scan
    root is never followed)."""
    if not path.is_symlink():
        return path.is_file()
    target = os.path.realpath(path)
    return target.startswith(os.path.realpath(root) + os.sep) and os.path.isfile(target)


def read_text(path: Path, limit: int | None = None, encoding: str = "utf-8", errors: str = "replace") -> str:
    """A text file read whole after its size is checked: over ``limit`` bytes is ``TooLarge``, so a
    multi-gigabyte file named like a configuration file never reaches memory."""
    limit = MAX_TEXT_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        raise TooLarge(path, size, limit)
    return path.read_text(encoding, errors)


class WriteError(Exception):
    """A write that was refused or failed; the message names the path."""


@dataclass
class Staged:
    """A file written beside its destination and not yet moved into place."""

    path: Path  # the destination, as the caller named it (root / rel)
    shown: str  # the destination as messages name it
    _dir: Path = field(repr=False, default=Path())
    _dir_fd: int | None = field(repr=False, default=None)
    _temp: str = field(repr=False, default="")
    _name: str = field(repr=False, default="")
    _exclusive: bool = field(repr=False, default=False)
    made: list[Path] = field(default_factory=list)  # folders created for it, outermost first

    def commit(self) -> None:
        """Move the temporary file into place (atomically; ``exclusive``: only if nothing is there)."""
        try:
            _check_destination(self._name, self._dir, self._dir_fd, self.shown)
            if self._exclusive:  # a hard link fails when the name is taken, even by a dangling link
                if self._dir_fd is not None:
                    os.link(self._temp, self._name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd, follow_symlinks=False)
                else:
                    os.link(self._dir / self._temp, self._dir / self._name, follow_symlinks=False)
                _unlink(self._temp, self._dir, self._dir_fd)
            elif self._dir_fd is not None:
                os.rename(self._temp, self._name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
            else:
                os.replace(self._dir / self._temp, self._dir / self._name)
        except FileExistsError:
            self.discard()
            raise WriteError(f"{self.shown}: already exists; not overwritten") from None
        except OSError as exc:
            self.discard()
            raise WriteError(f"{self.shown}: cannot write: {exc.strerror or exc}") from None
        self._temp = ""
        self.made = []
        self._close()

    def discard(self, remove_folders: bool = False) -> None:
        """Remove the temporary file (and, with ``remove_folders``, the folders made for it when empty)."""
        if self._temp:
            _unlink(self._temp, self._dir, self._dir_fd)
            self._temp = ""
        self._close()
        if remove_folders:
            for folder in reversed(self.made):
                try:
                    folder.rmdir()
                except OSError:
                    break

    def _close(self) -> None:
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None


def stage(root: Path, rel: str | PurePosixPath, text: str, *, exclusive: bool = False, create_folders: bool = True, shown: str | None = None) -> Staged:
    """Write ``text`` (UTF-8, line endings as given) beside ``root / rel``; ``commit`` moves it in place.

    Raises ``WriteError`` when ``rel`` leaves ``root``, a folder on the way or the destination is a
    symbolic link or not what it should be, a folder is missing and ``create_folders`` is false, or
    the system refuses the write.
    """
    parts = _parts(rel)
    shown = shown if shown is not None else PurePosixPath(*parts).as_posix()
    if not root.is_dir():
        raise WriteError(f"{shown}: the folder {root.as_posix()} does not exist")
    folders, name = parts[:-1], parts[-1]
    made: list[Path] = []
    dir_fd: int | None = None
    folder = root
    try:
        if _DIR_FD:
            dir_fd = os.open(root, os.O_RDONLY | _DIRECTORY)
        for i, part in enumerate(folders):
            where = PurePosixPath(*folders[: i + 1]).as_posix()
            folder = folder / part
            dir_fd = _enter(part, folder, dir_fd, where, shown, create_folders, made)
        _check_destination(name, folder, dir_fd, shown)
        if not _DIR_FD and not _inside(folder, root):
            raise WriteError(f"{shown}: leaves {root.as_posix()}; not written")
        temp = _write_temp(name, folder, dir_fd, text.encode("utf-8"), shown)
    except BaseException:
        if dir_fd is not None:
            os.close(dir_fd)
        for m in reversed(made):
            try:
                m.rmdir()
            except OSError:
                break
        raise
    return Staged(root / PurePosixPath(*parts), shown, folder, dir_fd, temp, name, exclusive, made)


def write_text(root: Path, rel: str | PurePosixPath, text: str, *, exclusive: bool = False, create_folders: bool = True, shown: str | None = None) -> Path:
    """``stage`` then ``commit``: the one way the tool writes a file. Returns ``root / rel``."""
    staged = stage(root, rel, text, exclusive=exclusive, create_folders=create_folders, shown=shown)
    staged.commit()
    return staged.path


def output_file(path: Path) -> tuple[Path, str]:
    """The folder and name of an ``-o FILE`` the user gave: the folder must exist (it is the root the
    write may not leave), and FILE may not be a folder or a symbolic link."""
    shown = path.as_posix()
    folder = path.parent
    if not path.name or path.name in (".", ".."):
        raise WriteError(f"{shown}: not a file name")
    if not folder.exists():
        raise WriteError(f"{shown}: the folder {folder.as_posix()} does not exist (create it first)")
    if not folder.is_dir():
        raise WriteError(f"{shown}: {folder.as_posix()} is not a folder")
    _check_destination(path.name, folder, None, shown)
    return folder, path.name


def write_output(path: Path, text: str) -> None:
    """Write an ``-o FILE`` report (see ``output_file``)."""
    folder, name = output_file(path)
    write_text(folder, name, text, create_folders=False, shown=path.as_posix())


# -- the steps --------------------------------------------------------------------------------------


def _parts(rel: str | PurePosixPath) -> tuple[str, ...]:
    pure = PurePosixPath(rel)
    parts = tuple(p for p in pure.parts if p != ".")
    if pure.is_absolute() or not parts or ".." in parts or any("\\" in p or "\0" in p for p in parts):
        raise WriteError(f"{pure.as_posix()}: not a path inside the folder written to")
    return parts


def _enter(part: str, folder: Path, dir_fd: int | None, where: str, shown: str, create: bool, made: list[Path]) -> int | None:
    """Step into the folder ``part`` (creating it if allowed), refusing a symbolic link."""
    for attempt in (1, 2):
        try:
            st = os.stat(part, dir_fd=dir_fd, follow_symlinks=False) if dir_fd is not None else os.lstat(folder)
        except FileNotFoundError:
            if not create:
                raise WriteError(f"{where}: the folder does not exist; cannot write {shown}") from None
            try:
                if dir_fd is not None:
                    os.mkdir(part, dir_fd=dir_fd)
                else:
                    os.mkdir(folder)
                made.append(folder)
            except FileExistsError:
                pass
            except OSError as exc:
                raise WriteError(f"{where}: cannot create the folder for {shown}: {exc.strerror or exc}") from None
            continue
        if stat.S_ISLNK(st.st_mode):
            raise WriteError(f"{where}: a symbolic link; {shown} is not written through it")
        if not stat.S_ISDIR(st.st_mode):
            raise WriteError(f"{where}: cannot create the folder for {shown}: it exists and is not a folder")
        if dir_fd is None:
            return None
        try:
            fd = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise WriteError(f"{where}: a symbolic link; {shown} is not written through it") from None
            if exc.errno == errno.ENOENT and attempt == 1:
                continue
            raise WriteError(f"{where}: cannot open the folder for {shown}: {exc.strerror or exc}") from None
        os.close(dir_fd)
        return fd
    raise WriteError(f"{where}: the folder keeps changing; {shown} not written")


def _check_destination(name: str, folder: Path, dir_fd: int | None, shown: str) -> None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False) if dir_fd is not None else os.lstat(folder / name)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WriteError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        raise WriteError(f"{shown}: a symbolic link; not written through")
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(f"{shown}: exists and is not a regular file")


def _write_temp(name: str, folder: Path, dir_fd: int | None, data: bytes, shown: str) -> str:
    """A new file with a random name beside ``name``, created exclusively (never an existing file or
    link), holding ``data`` and the existing file's permissions."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False) if dir_fd is not None else os.lstat(folder / name)
        mode = stat.S_IMODE(st.st_mode)
    except OSError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
    for _ in range(16):
        temp = f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(temp, flags, 0o666, dir_fd=dir_fd) if dir_fd is not None else os.open(folder / temp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteError(f"{shown}: cannot write: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                if mode is not None and hasattr(os, "fchmod"):
                    os.fchmod(fh.fileno(), mode)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None and not hasattr(os, "fchmod"):
                os.chmod(folder / temp, mode)
        except OSError as exc:
            _unlink(temp, folder, dir_fd)
            raise WriteError(f"{shown}: cannot write: {exc.strerror or exc}") from None
        return temp
    raise WriteError(f"{shown}: cannot find a free temporary name beside it")


def _unlink(name: str, folder: Path, dir_fd: int | None) -> None:
    try:
        if dir_fd is not None:
            os.unlink(name, dir_fd=dir_fd)
        else:
            os.unlink(folder / name)
    except OSError:
        pass


def _inside(folder: Path, root: Path) -> bool:
    try:
        return Path(os.path.realpath(folder)).is_relative_to(os.path.realpath(root))
    except OSError:
        return False
