"""Which folder of the repository builds an image, read from the build tooling beside the code: CI
workflow steps (GitHub Actions' ``docker/build-push-action`` with ``context:`` and ``tags:``) and
shell scripts (``docker build -t NAME DIR``, ``docker buildx build ... -t "${registry}NAME" DIR``).

Discovery joins a Compose service that only runs an image (``image: descartesresearch/teastore-auth``)
to the folder that builds it (``services/tools.descartes.teastore.auth``): one service, not two.
An image is named by its repository's last part, lower case (``teastore-auth``), as Compose images
are compared with service names; a name two folders build is no one's.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import safeio, yamlio

WORKFLOWS = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
BUILD_ACTION = "docker/build-push-action"
_DOCKER_BUILD = re.compile(r"\bdocker\s+(?:image\s+)?(?:buildx\s+)?build\b([^\n]*)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
MAX_SCRIPT_BYTES = 1_000_000


def image_name(image: str) -> str:
    """``registry:5000/org/teastore-auth:1.2@sha256:...`` → ``teastore-auth``."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()


def join_path(base: str, rel: str, above: str | None = None) -> str:
    """``rel`` (``./a/../b``, backslashes allowed) joined to the folder ``base``, normalised (``.``: the
    root). A ``..`` above the root stays at the root, or gives ``above`` when one is given (``""``:
    no folder of the repository)."""
    parts = [] if base in ("", ".") else base.split("/")
    for p in rel.replace("\\", "/").split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            elif above is not None:
                return above
            continue
        parts.append(p)
    return "/".join(parts) or "."


def _workflow_builds(root: Path, rel: str) -> Iterable[tuple[str, str, str]]:
    """(image name, folder, where) of a workflow's build-push steps with a literal context."""
    try:
        st = (root / rel).stat()
    except OSError:
        return ()
    return _read_workflow(str(root), rel, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _read_workflow(root: str, rel: str, _mtime: int, _size: int) -> tuple[tuple[str, str, str], ...]:
    """``_workflow_builds`` of one version of the file (discovery and the address book both ask)."""
    return tuple(_workflow_steps(Path(root), rel))


def _workflow_steps(root: Path, rel: str) -> Iterable[tuple[str, str, str]]:
    try:
        if BUILD_ACTION not in safeio.read_text(root / rel, MAX_SCRIPT_BYTES):
            return
    except OSError:  # (safeio.TooLarge too)
        return
    try:
        docs = yamlio.load_file(root / rel, rel)
    except yamlio.YamlError:
        return
    for doc in docs:
        jobs = doc.get("jobs") if isinstance(doc, dict) else None
        for job in jobs.values() if isinstance(jobs, dict) else ():
            steps = job.get("steps") if isinstance(job, dict) else None
            for step in steps if isinstance(steps, list) else ():
                if not isinstance(step, dict) or not str(step.get("uses") or "").startswith(BUILD_ACTION + "@"):
                    continue
                given: Any = step.get("with")
                context = given.get("context") if isinstance(given, dict) else None
                tags = given.get("tags") if isinstance(given, dict) else None
                if not isinstance(context, str) or not isinstance(tags, str) or "${{" in context:
                    continue
                line = getattr(step, "line", 0)
                where = f"{rel}:{line}" if line else rel
                for tag in (t.strip() for t in re.split(r"[,\n]", tags)):
                    name = image_name(tag) if tag and "$" not in tag.rsplit("/", 1)[-1].split(":", 1)[0] else ""
                    if name and "$" not in name:
                        yield name, join_path("", context, above=""), where


def _script_builds(root: Path, rel: str, folders: set[str]) -> Iterable[tuple[str, str, str]]:
    """(image name, folder, where) of a script's ``docker build`` lines naming a tag and a folder of
    the repository (relative to the script's folder, else to the root); a variable before the name
    (``${registry}teastore-db``) is a registry prefix."""
    try:
        text = safeio.read_text(root / rel, MAX_SCRIPT_BYTES)
    except OSError:
        return
    base = rel.rpartition("/")[0] or "."
    for m in _DOCKER_BUILD.finditer(text):
        try:
            words = shlex.split(m.group(1), comments=True)
        except ValueError:
            continue
        tags = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-t", "--tag")] + [w.split("=", 1)[1] for w in words if w.startswith("--tag=")]
        dirs = {f for w in words if not w.startswith("-") and "$" not in w for f in (join_path(base, w, above=""), join_path(".", w, above="")) if f in folders}
        if len(dirs) != 1:
            continue
        line = text.count("\n", 0, m.start()) + 1
        for tag in tags:
            name = image_name(_VARIABLE.sub("", tag.rsplit("}", 1)[-1] if tag.startswith("${") else tag))
            if name and "$" not in name:
                yield name, next(iter(dirs)), f"{rel}:{line}"


def built_images(root: Path, files: Iterable[str], folders: set[str]) -> dict[str, tuple[str, str]]:
    """Image name → (the folder that builds it, where that is said), for the names one folder builds."""
    found: dict[str, set[str]] = {}
    where: dict[str, str] = {}
    for rel in sorted(files):
        if WORKFLOWS.match(rel):
            builds = list(_workflow_builds(root, rel))
        elif rel.endswith(".sh"):
            builds = list(_script_builds(root, rel, folders))
        else:
            continue
        for name, folder, at in builds:
            if folder in folders:
                found.setdefault(name, set()).add(folder)
                where.setdefault(name, at)
    return {name: (next(iter(dirs)), where[name]) for name, dirs in sorted(found.items()) if len(dirs) == 1}
