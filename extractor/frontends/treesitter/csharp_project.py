"""C# projects and prefilter words: the light part of the C# frontend (no engine import), so that
compiling the C# rules of a scan that meets no C# file costs nothing more."""

from __future__ import annotations

import functools
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from ...safeio import is_file_inside
from .index import default_words


def words_of(name: str) -> set[str]:
    """The last part of a qualified name (a method or type name): a file using it must spell it
    (namespaces are often implicit: a Program.cs has no ``using``)."""
    last = name.rpartition(".")[2]
    return default_words(last) if len(last) >= 3 else set()


@functools.lru_cache(maxsize=4096)
def _project_in(directory: str) -> str | None:
    """The first ``.csproj`` of a directory (None without one)."""
    try:
        names = sorted(p.name for p in Path(directory).iterdir() if p.suffix == ".csproj")
    except OSError:
        return None
    return names[0] if names else None


def project_path(root: Any, rel: str) -> str:
    """A C# file's module: its project, the directory of the nearest ``.csproj`` up to the scan
    root (``services/checkout``; the project's name when it sits at the root), else the file's
    directory. Files of one project share their exports (constants, registered clients)."""
    directory = posixpath.dirname(rel)
    cur = directory
    while True:
        proj = _project_in(str(Path(root) / cur) if cur else str(root))
        if proj is not None:
            return cur or proj.rsplit(".", 1)[0]
        if not cur:
            break
        cur = posixpath.dirname(cur)
    return directory or "main"


_REFERENCE = re.compile(r"<ProjectReference\s+Include\s*=\s*\"([^\"]+)\"", re.I)
_ENTRY = re.compile(r"Sdk\s*=\s*\"Microsoft\.NET\.Sdk\.(Web|Worker)\"|<OutputType>\s*(Win)?Exe\s*</OutputType>", re.I)  # a Razor SDK is a class library
_WEB = re.compile(r"Sdk\s*=\s*\"Microsoft\.NET\.Sdk\.Web\"", re.I)
_SKIP_DIRS = frozenset({".git", "bin", "obj", "node_modules", ".vs", "packages"})


@functools.lru_cache(maxsize=16)
def _solution(root: str) -> tuple[dict[str, tuple[str, ...]], frozenset[str], frozenset[str]]:
    """Every project directory of the scan root → the project directories it references
    (``<ProjectReference Include="..\\Lib\\Lib.csproj" />``), the projects with an entry point
    (a web or worker SDK, an ``Exe`` output, a ``Program.cs``) and the web ones among them."""
    refs: dict[str, tuple[str, ...]] = {}
    runnable: set[str] = set()
    web: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        here = posixpath.normpath(os.path.relpath(dirpath, root).replace(os.sep, "/"))
        here = "" if here == "." else here
        for name in sorted(f for f in filenames if f.endswith(".csproj")):
            if not is_file_inside(Path(root), Path(dirpath, name)):  # a link out of the scan root is not read
                continue
            try:
                text = (Path(dirpath) / name).read_text("utf-8", "replace")
            except OSError:
                continue
            found = []
            for inc in _REFERENCE.findall(text):
                target = posixpath.normpath(posixpath.join(here, posixpath.dirname(inc.replace("\\", "/"))))
                found.append("" if target == "." else target)
            refs.setdefault(here, tuple(found))
            if _ENTRY.search(text) or "Program.cs" in filenames:
                runnable.add(here)
            if _WEB.search(text):
                web.add(here)
    return refs, frozenset(runnable), frozenset(web)


def forget() -> None:
    """Drop the projects read so far (the next scan reads its tree's project files as they are now)."""
    _project_in.cache_clear()
    _solution.cache_clear()


def linked_modules(root: Any, module: str) -> tuple[str, ...]:
    """The projects whose registrations (dependency-injection exports: ``$HttpClient.CatalogClient``,
    the client-wide ``$defaults``) a project's files see: the projects it references, transitively
    (a shared ServiceDefaults project); for a library (no entry point), also the runnable projects
    referencing it and what they reference (the typed client's class in a class library receives
    the registration of the web app that uses it). In order of preference: what it references, then
    the web apps using it, then the other runnable projects (a MAUI or desktop client)."""
    refs, runnable, web = _solution(str(root))
    if module not in refs:
        return ()

    def down(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for r in refs.get(todo.pop(), ()):
                if r not in seen and r != start:
                    seen.add(r)
                    todo.append(r)
        return seen

    linked = sorted(down(module))
    if module not in runnable:  # up through libraries to the runnable projects using it (not an app host above them)
        users: set[str] = set()
        seen, todo = {module}, [module]
        while todo:
            cur = todo.pop()
            for parent in sorted(p for p, rs in refs.items() if cur in rs and p not in seen):
                seen.add(parent)
                if parent in runnable:
                    users.add(parent)
                else:
                    todo.append(parent)
        for user in sorted(users, key=lambda p: (p not in web, p)):
            linked += [user, *sorted(down(user))]
    return tuple(dict.fromkeys(m for m in linked if m != module))
