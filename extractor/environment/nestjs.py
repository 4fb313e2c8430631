"""NestJS configuration (``@nestjs/config``) read into the address book.

A NestJS service reads its settings through an injected ``ConfigService``
(``configService.get('endpoints.orders')``: ``javascript.platform.nestjs-config``), from the custom
configuration files its ``ConfigModule.forRoot({ load: [configuration] })`` loads: a factory
returning an object literal, whose leaves read the environment::

    export default () => ({
      endpoints: { orders: process.env.RETAIL_CHECKOUT_ENDPOINTS_ORDERS || '' },
    });

Each leaf becomes a dotted key of the service's configuration (``endpoints.orders``) whose value is
a placeholder of the variable with its default (``${RETAIL_CHECKOUT_ENDPOINTS_ORDERS:}``: the
deployment's value when it sets it, as ``svcconfig`` resolves placeholders), or the literal. Read
as text, like the Spring customizers of ``spring_gateway.code_limiters``: a service whose
``package.json`` names ``@nestjs/config``, the files under its folder that call
``ConfigModule.forRoot``, the factories they import by a relative path. Not read: ``registerAs``
namespaces, ``envFilePath`` files, a validation schema's defaults, a factory that computes its
object (anything but ``() => ({...})`` or a ``return {...}`` right after ``export default``).
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from .. import safeio
from .book import AddressBook
from .spring_gateway import split_arguments

_SKIP_DIRS = frozenset({"node_modules", "dist", "build", "coverage", "test", "tests", "__tests__"})
_SUFFIXES = (".ts", ".js", ".mts", ".mjs", ".cts", ".cjs")
_FOR_ROOT = re.compile(r"\bConfigModule\s*\.\s*forRoot\s*\(")
_LOAD = re.compile(r"\bload\s*:\s*\[([^\]]*)\]")
_DEFAULT_EXPORT = re.compile(r"\bexport\s+default\s+(?:async\s+)?(?:\(\s*\)\s*=>\s*\(?\s*|function\s*\w*\s*\(\s*\)\s*\{\s*return\s+)\{")
_ENV = re.compile(r"^process\.env(?:\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\])(?:\s*(?:\|\||\?\?)\s*(.+))?$", re.S)
_STRING = re.compile(r"^(['\"`])(.*)\1$", re.S)
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_PARSE = re.compile(r"^(?:parseInt|parseFloat|Number|Number\.parseInt|Number\.parseFloat)\s*\((.*?)(?:,\s*\d+\s*)?\)$", re.S)
_COMMENTS = re.compile(r"/\*.*?\*/|^\s*//[^\n]*$", re.S | re.M)
_KEY = re.compile(r"^\s*(?:(['\"])(.+?)\1|([A-Za-z_$][\w$]*))\s*:\s*", re.S)


def read_nest_config(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str]) -> None:
    """The configuration each NestJS service's ``ConfigModule.forRoot({ load: [...] })`` factories
    give, as dotted keys of its configuration (module docstring); a key a file read earlier gave
    stays (the deployment's values come first)."""
    for service_root in sorted(roots):
        try:
            manifest = safeio.read_text(root / service_root / "package.json")
        except OSError:
            continue
        if "@nestjs/config" not in manifest:
            continue
        service = by_root[service_root]
        for rel, values in _factories(root, service_root):
            env = book.env_by_service.setdefault(service, {})
            for key, value in values.items():
                if key not in env:
                    env[key] = value
                    book.env_sources.setdefault((service, key), rel)


def _factories(root: Path, service_root: str) -> list[tuple[str, dict[str, str]]]:
    """(file, dotted key → value) of the factories the service's ``forRoot`` calls load."""
    out: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    base = root / service_root
    inside = Path(os.path.realpath(root))
    for path in safeio.files_under(root, base, _SUFFIXES, _SKIP_DIRS):
        if path.name.endswith(".d.ts"):
            continue
        try:
            text = safeio.read_text(path)
        except OSError:
            continue
        for m in _FOR_ROOT.finditer(text):
            args = split_arguments(text, m.end())
            load = _LOAD.search(args[0]) if args else None
            for ident in load.group(1).split(",") if load else ():
                target = _imported(text, ident.strip(), path.parent)
                if target is None:
                    continue
                real = Path(os.path.realpath(target))
                try:
                    rel = real.relative_to(inside).as_posix()
                except ValueError:  # an import leading out of the scan root (``../..``, a link): not read
                    continue
                if rel in seen:
                    continue
                seen.add(rel)
                try:
                    values = _factory_values(safeio.read_text(real))
                except OSError:
                    continue
                if values:
                    out.append((rel, values))
    return out


def _imported(text: str, name: str, folder: Path) -> Path | None:
    """The file a relative import of ``name`` (default or named) names, with its suffix found."""
    if not re.fullmatch(r"[A-Za-z_$][\w$]*", name):
        return None
    word = re.escape(name)
    m = re.search(r"\bimport\s+" + word + r"\s+from\s+['\"](\.[^'\"]*)['\"]", text) or re.search(
        r"\bimport\s*\{[^}]*\b" + word + r"\b[^}]*\}\s*from\s+['\"](\.[^'\"]*)['\"]", text
    )
    if m is None:
        return None
    spec = posixpath.normpath(m.group(1))
    for candidate in [spec + s for s in _SUFFIXES] + [posixpath.join(spec, "index" + s) for s in _SUFFIXES] + [spec]:
        path = folder / candidate
        if path.is_file():
            return path
    return None


def _factory_values(text: str) -> dict[str, str]:
    """The leaves of the object literal a default-exported factory returns, by dotted key."""
    text = _COMMENTS.sub("", text)
    m = _DEFAULT_EXPORT.search(text)
    if m is None:
        return {}
    body = split_arguments(text, m.end())  # the literal's text up to its closing brace, split at top-level commas
    out: dict[str, str] = {}
    _object(body, "", out, 0)
    return out


def _object(items: list[str], prefix: str, out: dict[str, str], depth: int) -> None:
    for item in items:
        k = _KEY.match(item)
        if k is None or depth > 8:
            continue
        key = prefix + (k.group(2) or k.group(3) or "")
        value = item[k.end() :].strip()
        if value.startswith("{") and value.endswith("}"):
            _object(split_arguments(value, 1), key + ".", out, depth + 1)
            continue
        leaf = _leaf(value)
        if leaf is not None:
            out[key] = leaf


def _leaf(value: str) -> str | None:
    """A leaf's configured text: ``${VAR:default}`` for an environment read, else the literal."""
    p = _PARSE.match(value)
    if p is not None:
        value = p.group(1).strip()
    env = _ENV.match(value)
    if env is not None:
        var = env.group(1) or env.group(2)
        default = _literal(env.group(3).strip()) if env.group(3) is not None else None
        if env.group(3) is not None and default is None:
            return None  # a computed fallback: not read
        return "${" + var + (":" + default if default is not None else "") + "}"
    return _literal(value)


def _literal(value: str) -> str | None:
    s = _STRING.match(value)
    if s is not None and "${" not in s.group(2):
        return s.group(2)
    if _NUMBER.match(value) or value in ("true", "false"):
        return value
    return None
