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

A shell script the command runs (``CMD ["./entrypoint.sh"]``, a Compose ``command: sh run.sh``; a
file of the service's folder with that name, ``.sh`` or a shell's ``#!``) is read as well: each of its
commands is split with ``shlex`` (operators, redirections, ``$(...)``, heredoc bodies and the
``if``/``then``/``exec`` words set apart), and the options of those that start a program
(``locust -f robot-shop.py --host "$HOST"``; not a shell utility of ``SHELL_UTILITIES``: ``curl``,
``sed``, ``echo``) are the service's, after the command's own. An option whose value uses a
variable the script sets itself is not kept (its value depends on the script's branches).

The image's ``ENV`` (of the Dockerfile's last stage) is the service's environment too, after the
deployment's (Compose ``environment:``, Kubernetes ``env``), which wins.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import safeio
from ..discover import ComposeService
from .book import AddressBook

ARGV_PREFIX = "argv:"
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_OPTION = re.compile(r"^(--?[A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$", re.DOTALL)
_SHELL_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_K8S_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")  # Kubernetes expands $(VAR) in command and args
_INSTRUCTION = re.compile(r"(?mi)^\s*(ENTRYPOINT|CMD|ENV|FROM)\s+(.*)$")
SHELL_UTILITIES = frozenset(
    """
    [ [[ test echo printf exit return set unset export local readonly declare shift cd pushd popd source . eval exec trap wait sleep
    true false read cp mv rm mkdir rmdir ln chmod chown touch cat tee sed awk grep egrep fgrep cut tr sort uniq head tail wc find
    xargs envsubst curl wget apk apt-get apt yum dnf microdnf pip pip3 npm yarn tar unzip gzip ls date basename dirname which
    command type id whoami kill ps getent nc timeout dockerize wait-for-it wait-for
    """.split()
)
"""Programs of a shell script that do not start the service's process (shell builtins, file and text
utilities, package managers, ``curl``): their options are not the service's configuration."""
_PREFIXES = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "exec", "nohup", "time", "command"})
_SEPARATORS = frozenset({";", ";;", "&&", "||", "|", "|&", "&", "(", ")"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", "<<<", ">&", "<&", "&>", "&>>", ">|", "<>"})
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=")
_FD = re.compile(r"(^|\s)\d+(?=[<>])")  # the descriptor of a redirection (2>&1), not an argument (-r 2 > x)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_!][A-Za-z0-9_!]*)\1")


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


def _last_stage(text: str) -> list[tuple[str, str]]:
    """The ``ENTRYPOINT``, ``CMD`` and ``ENV`` instructions of a Dockerfile's last stage, in order
    (continued lines joined)."""
    text = re.sub(r"\\\r?\n", " ", text)
    found: list[tuple[str, str]] = []
    for m in _INSTRUCTION.finditer(text):
        word, rest = m.group(1).upper(), m.group(2).strip()
        found = [] if word == "FROM" else [*found, (word, rest)]
    return found


def dockerfile_commands(text: str) -> list[Any]:
    """The ``ENTRYPOINT`` and ``CMD`` of a Dockerfile's last stage (exec form as a list, shell form
    as text; continued lines joined)."""
    found: dict[str, Any] = {}
    for word, rest in _last_stage(text):
        if word == "ENV":
            continue
        value: Any = rest
        if rest.startswith("["):
            try:
                value = json.loads(rest)
            except ValueError:
                value = rest
        found[word] = value
    return [found[w] for w in ("ENTRYPOINT", "CMD") if w in found]


def dockerfile_env(text: str) -> dict[str, str]:
    """The ``ENV`` of a Dockerfile's last stage: ``ENV A=1 B="two words"``, and the older ``ENV A
    value`` (one variable, the rest of the line); a later value of a name wins, as in the image."""
    env: dict[str, str] = {}
    for word, rest in _last_stage(text):
        if word != "ENV":
            continue
        words = split(rest)
        if words and "=" not in words[0]:  # ENV NAME the rest of the line
            value = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
            env[words[0]] = " ".join(split(value))
            continue
        for w in words:
            name, eq, value = w.partition("=")
            if eq and _ASSIGNMENT.match(w):
                env[name] = value
    return env


def script_commands(text: str) -> list[list[str]]:
    """The simple commands of a shell script, each as words without its redirections, leading
    assignments and the ``if`` / ``then`` / ``exec`` words before it; heredoc bodies skipped."""
    lines = re.sub(r"\\\r?\n", " ", text).splitlines()
    out: list[list[str]] = []
    ending: str | None = None
    for line in lines:
        if ending is not None:
            if line.strip() == ending:
                ending = None
            continue
        heredoc = _HEREDOC.search(line)
        if heredoc is not None:
            ending = heredoc.group(2)
        lexer = shlex.shlex(_FD.sub(r"\1", line), posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            words = list(lexer)
        except ValueError:  # an unbalanced quote
            continue
        current: list[str] = []
        skip = False
        for w in words:
            if skip:
                skip = False
                continue
            if w in _SEPARATORS:
                out.append(current)
                current = []
            elif w in _REDIRECTS:
                skip = True  # its file or descriptor
            else:
                current.append(w)
        out.append(current)
    commands: list[list[str]] = []
    for words in out:
        while words and (words[0] in _PREFIXES or _ASSIGNMENT.match(words[0])):
            words = words[1:]
        if words:
            commands.append(words)
    return commands


_ASSIGNS = re.compile(r"(?m)(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)\+?=")
_READS = re.compile(r"(?m)(?:^|[\s;&|(])(?:read|unset)((?:[ \t]+-\S+)*(?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)+)")


def script_assigned(text: str) -> set[str]:
    """The variables a shell script sets itself (``NAME=...``, ``export NAME=...``, ``read NAME``, ``unset NAME``)."""
    names = set(_ASSIGNS.findall(text))
    for m in _READS.finditer(text):
        names.update(w for w in m.group(1).split() if not w.startswith("-"))
    return names


def script_options(text: str) -> dict[str, str]:
    """The options of the commands of a shell script that start a program (not one of
    ``SHELL_UTILITIES``, a shell or a variable), as ``command_options`` reads them; an option
    whose value uses a variable the script sets itself is left out."""
    assigned = script_assigned(text)
    out: dict[str, str] = {}
    for words in script_commands(text):
        program = words[0].rsplit("/", 1)[-1]
        if program in SHELL_UTILITIES or program in SHELLS or program.startswith("$") or "=" in program:
            continue
        for name, value in command_options(words).items():
            if any(var in assigned for var in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", value)):
                continue
            out.setdefault(name, value)
    return out


def read_dockerfiles(
    book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str] = (), composed: Iterable[ComposeService] = ()
) -> None:
    """Each service's own ``Dockerfile`` (in its root): the options of its entry point, its ``ENV``,
    then the options of the shell script its command runs (the Compose service's command when one
    builds the folder and gives one, else the Dockerfile's), looked up among ``other_files``."""
    others = frozenset(other_files)
    deployed: dict[str, tuple[str, ...]] = {}
    for c in composed:
        if c.build is not None and c.command:
            deployed.setdefault(c.build, c.command)
    for r in roots:
        service = by_root.get(r)
        rel = "Dockerfile" if r == "." else f"{r}/Dockerfile"
        if service is None:
            continue
        try:
            text = safeio.read_text(root / rel)
        except OSError:
            text = ""
        commands = dockerfile_commands(text)
        record_command(book, service, rel, *commands)
        for name, value in dockerfile_env(text).items():
            book.env_by_service.setdefault(service, {}).setdefault(name, value)
            book.env_sources.setdefault((service, name), rel)
        words = list(deployed.get(r, ())) or [w for c in commands for w in tokens(c)]
        script = _script_of(root, r, words, others)
        if script is None:
            continue
        try:
            body = safeio.read_text(root / script)
        except OSError:
            continue
        for name, value in script_options(body).items():
            key = ARGV_PREFIX + name
            book.env_by_service.setdefault(service, {}).setdefault(key, value)
            book.env_sources.setdefault((service, key), script)


def _shebang(text: str) -> str | None:
    """The program a ``#!`` line runs (``#!/usr/bin/env bash`` → ``bash``), None without one."""
    if not text.startswith("#!"):
        return None
    words = text[2:].split("\n", 1)[0].split()
    program = words[0].rsplit("/", 1)[-1] if words else None
    return words[1] if program == "env" and len(words) > 1 else program


def _script_of(root: Path, folder: str, words: list[str], others: frozenset[str]) -> str | None:
    """The shell script of the service's folder that a command runs: the first word naming a file
    there (by its name, at the folder's top first, else the only one below) that is a ``.sh`` or
    starts with a shell's ``#!``."""
    prefix = "" if folder == "." else folder + "/"
    for word in words:
        if word.startswith("-") or "=" in word or "$" in word:
            continue
        name = word.rsplit("/", 1)[-1]
        if not name:
            continue
        found = [prefix + name] if prefix + name in others else [f for f in others if f.startswith(prefix) and f.rsplit("/", 1)[-1] == name]
        if len(found) != 1:
            continue
        if name.endswith(".sh"):
            return found[0]
        try:
            head = safeio.read_text(root / found[0], limit=1 << 20)[:128]
        except OSError:
            continue
        if _shebang(head) in SHELLS:
            return found[0]
    return None
