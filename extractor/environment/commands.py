"""Container command lines: the options a service's process is started with, as configuration.

A Dockerfile's ``ENTRYPOINT`` / ``CMD`` (shell or exec form), a Compose service's ``entrypoint:`` /
``command:`` and a Kubernetes container's ``command:`` / ``args:`` start the service's process; an
option given there (``locust --host="http://${FRONTEND_ADDR}" --headless``) is configuration the
code never spells. Each ``--name=value``, ``--name value`` or ``-n value`` becomes the configuration
key ``argv:--name`` (``argv:-n``) of the service, which a rule reads with a ``config:`` spec
(``python.http.locust``: ``{config: [LOCUST_HOST, "argv:--host"]}``). A shell variable in the value
(``${FRONTEND_ADDR}``, ``${USERS:-10}``, ``$X``) is kept as a placeholder that the link stage
resolves against the service's environment (``svcconfig``). The deployment's command (Compose,
Kubernetes) wins over the image's (read after them, first value kept).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import safeio
from .book import AddressBook

ARGV_PREFIX = "argv:"
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_OPTION = re.compile(r"^(--?[A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$", re.DOTALL)
_SHELL_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_K8S_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")  # Kubernetes expands $(VAR) in command and args
_INSTRUCTION = re.compile(r"(?mi)^\s*(ENTRYPOINT|CMD|FROM)\s+(.*)$")


def tokens(command: Any) -> list[str]:
    """A command as words: an exec-form list (a shell's ``-c`` script split again), or a shell
    string; a shell's own ``-c`` (``/bin/sh -c "..."``) is not an option of the command."""
    out: list[str] = []
    if isinstance(command, list):
        for item in command:
            if isinstance(item, (str, int, float)):
                text = str(item)
                out += split(text) if any(ch.isspace() for ch in text) else [text]
    elif isinstance(command, str):
        out = split(command)
    return [w for i, w in enumerate(out) if not (w == "-c" and i > 0 and out[i - 1].rsplit("/", 1)[-1] in SHELLS)]


def split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:  # an unbalanced quote: words as written
        return text.split()


def _placeholders(value: str) -> str:
    """Shell variables as configuration placeholders: ``${X:-d}`` → ``${X:d}``, ``$X`` → ``${X}``."""

    def fill(m: re.Match[str]) -> str:
        var = m.group(1) or m.group(3)
        return "${" + var + (":" + m.group(2) if m.group(2) is not None else "") + "}"

    return _SHELL_VAR.sub(fill, value)


def command_options(words: Iterable[str], k8s: bool = False) -> dict[str, str]:
    """``--name=value``, ``--name value`` and ``-n value`` of a command's words (the first of a
    name wins; a shell operator ends the command: ``2>&1``, ``&&``, ``|``); with ``k8s``, a
    Kubernetes ``$(VAR)`` is a variable too."""
    out: dict[str, str] = {}
    items = list(words)
    for i, word in enumerate(items):
        if word in ("&&", "||", "|", ";") or word.startswith(("2>", ">", "<")):
            break
        m = _OPTION.match(word)
        if m is None:
            continue
        value = m.group(2)
        if value is None:
            nxt = items[i + 1] if i + 1 < len(items) else None
            if nxt is None or nxt.startswith(("-", "2>", ">", "<")) or nxt in ("&&", "||", "|", ";"):
                continue  # a flag without a value (--headless)
            value = nxt
        if k8s:
            value = _K8S_VAR.sub(lambda v: "${" + v.group(1) + "}", value)
        out.setdefault(m.group(1), _placeholders(value))
    return out


def record_command(book: AddressBook, service: str, rel: str, *commands: Any, k8s: bool = False) -> None:
    """The options of a process's command (``commands``: entrypoint, then command / args) as the
    service's ``argv:`` configuration keys."""
    words: list[str] = []
    for c in commands:
        words += tokens(c)
    for name, value in command_options(words, k8s).items():
        key = ARGV_PREFIX + name
        book.env_by_service.setdefault(service, {}).setdefault(key, value)
        book.env_sources.setdefault((service, key), rel)


def dockerfile_commands(text: str) -> list[Any]:
    """The ``ENTRYPOINT`` and ``CMD`` of a Dockerfile's last stage (exec form as a list, shell form
    as text; continued lines joined)."""
    text = re.sub(r"\\\r?\n", " ", text)
    found: dict[str, Any] = {}
    for m in _INSTRUCTION.finditer(text):
        word, rest = m.group(1).upper(), m.group(2).strip()
        if word == "FROM":
            found = {}
            continue
        value: Any = rest
        if rest.startswith("["):
            try:
                value = json.loads(rest)
            except ValueError:
                value = rest
        found[word] = value
    return [found[w] for w in ("ENTRYPOINT", "CMD") if w in found]


def read_dockerfiles(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str]) -> None:
    """Each service's own ``Dockerfile`` (in its root): the options of its entry point."""
    for r in roots:
        service = by_root.get(r)
        rel = "Dockerfile" if r == "." else f"{r}/Dockerfile"
        if service is None:
            continue
        try:
            text = safeio.read_text(root / rel)
        except OSError:
            continue
        record_command(book, service, rel, *dockerfile_commands(text))
