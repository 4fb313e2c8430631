"""Service configuration files: the values code reads by key, fed to facts at link time.

Frameworks read settings from a service's configuration files rather than from code: Spring's
``application.yml`` / ``application.properties`` (``@Value("${risk.url}")``, resilience4j's
``resilience4j.retry.instances.risk.max-attempts``), .NET's ``appsettings.json``. This module is
language-neutral:

- **reading**: ``read_config_file(path, text)`` flattens a Spring YAML file (every document of it)
  or a ``.properties`` file into dotted keys (``risk.url``, lists as ``key[0]``); the address book
  (``environment.build_address_book``) stores them with the service's environment, so a URL read from
  configuration resolves its target like an environment variable does;
- **references**: a frontend (``@Value``, ``environment.getProperty``) or a rule's ``config:``
  argument spec makes a *configuration reference* — ``config_ref(keys, default=...)``, a ``Call`` of
  ``CONFIG_CALL`` — because extraction is per file and does not know the service's files;
- **resolution**: the link stage (``resolve_config``) replaces each reference by the first key the
  calling service's configuration defines, as ``Named("${key}", Const(value))`` (its source is then
  ``config``), else by the default the code or the rule gives, else (for code references) by an
  ``Env`` of the key, so deployment environment variables and the variable-name heuristics still
  apply. Keys match with Spring's relaxed binding: case, ``-`` and ``_`` do not matter
  (``maxAttempts`` = ``max-attempts``), and a value that is itself a placeholder
  (``${RISK_URL:http://risk:8080}``) is followed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..durations import LIBRARY_DEFAULT
from ..values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Seq, Value, describe, simplify_concat, strip

if TYPE_CHECKING:
    from .book import AddressBook

CONFIG_CALL = "$config"
LIBRARY_DEFAULT_PREFIX = "$library_default."
"""Keys the environment readers record for a library's default that depends on the classpath
(``$library_default.ribbon.ReadTimeout``, ``spring.py``): a rule's ``config:`` list names them after
the real keys, and the value found is the library's default (``timeout_source: library_default``)."""
# Spring Boot's configuration files (profiles: application-prod.yml), also under config/
SPRING_CONFIG_FILES = re.compile(r"(^|/)(application|bootstrap)(-[A-Za-z0-9_.-]+)?\.(ya?ml|properties)$")
_PLACEHOLDER = re.compile(r"\$\{([^{}:]+)(?::([^{}]*))?\}")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# ---------------------------------------------------------------- references
def config_ref(keys: Iterable[str], default: Value | None = None, env_fallback: bool = False, scale: float | None = None) -> Call:
    """A reference to the first of ``keys`` the service's configuration defines (link time)."""
    kwargs: list[tuple[str, Value]] = []
    if default is not None:
        kwargs.append(("default", default))
    if env_fallback:
        kwargs.append(("env", Const(True)))
    if scale is not None:
        kwargs.append(("scale", Const(scale)))
    return Call(CONFIG_CALL, tuple(Const(k) for k in keys), tuple(kwargs))


def placeholder_value(text: str) -> Value:
    """A Spring property placeholder text (``${risk.url:http://localhost}``, also inside a
    longer text: ``http://${risk.host}:8080``) as a value: configuration references with their
    defaults; a text without placeholders stays a constant."""
    parts: list[Value] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            parts.append(Const(text[pos : m.start()]))
        default = _scalar(m.group(2)) if m.group(2) is not None else None
        parts.append(config_ref((m.group(1).strip(),), default=Const(default) if m.group(2) is not None else None, env_fallback=True))
        pos = m.end()
    if not parts:
        return Const(text)
    if pos < len(text):
        parts.append(Const(text[pos:]))
    return parts[0] if len(parts) == 1 else simplify_concat(tuple(parts))


def has_config(v: Any) -> bool:
    """Whether a raw field value holds a configuration reference (cheap for the common values)."""
    if isinstance(v, Call):
        return v.func == CONFIG_CALL or any(has_config(x) for x in v.args) or any(has_config(x) for _, x in v.kwargs)
    if isinstance(v, Named):
        return has_config(v.value)
    if isinstance(v, Concat):
        return any(has_config(x) for x in v.parts)
    if isinstance(v, Obj):
        return any(has_config(x) for _, x in v.captures)
    if isinstance(v, Seq):
        return any(has_config(x) for x in v.items)
    if isinstance(v, Map):
        return any(has_config(x) for _, x in v.items)
    if isinstance(v, Env):
        return v.default is not None and has_config(v.default)
    return False


# ---------------------------------------------------------------- keys
def canonical(key: str) -> str:
    """Spring's relaxed binding: ``Resilience4j.Retry.instances.risk.maxAttempts`` =
    ``resilience4j.retry.instances.risk.max-attempts`` = ``..._max_attempts``."""
    return ".".join(seg.lower().replace("-", "").replace("_", "") for seg in key.split("."))


def env_spelling(key: str) -> str:
    """The environment variable Spring maps to a dotted key (``risk.url`` → ``RISK_URL``)."""
    return re.sub(r"[.\[\]]+", "_", key).replace("-", "").strip("_").upper()


def lookup(book: AddressBook | None, service: str | None, key: str) -> str | None:
    """The value the service's configuration (or environment) gives ``key``."""
    if book is None or service is None:
        return None
    env = book.env_by_service.get(service) or {}
    spelled = env_spelling(key)
    if spelled != key and spelled in env:  # the deployment's environment overrides the files, as in Spring
        return env[spelled]
    return book.canonical_env(service).get(canonical(key))  # the first file read that spells it any way


def lookup_list(book: Any, service: str | None, key: str) -> list[str] | None:
    items: list[str] = []
    while True:
        found = lookup(book, service, f"{key}[{len(items)}]")
        if found is None:
            break
        items.append(found)
    return items or None


# ---------------------------------------------------------------- link-time resolution
def resolve_config(fields: dict[str, Any], book: Any, service: str | None) -> dict[str, Any]:
    """Replace the configuration references in a fact's raw fields (see the module docstring)."""
    out: dict[str, Any] = {}
    for k, v in fields.items():
        r = _resolve(v, book, service, 0) if has_config(v) else v
        if r is not None:  # not configured and no default: the field is absent
            out[k] = r
    return out


def _resolve(v: Any, book: Any, service: str | None, depth: int) -> Any:
    if depth > 12:
        return v

    def sub(x: Any) -> Any:  # an unconfigured reference inside a value: its text
        r = _resolve(x, book, service, depth + 1)
        return r if r is not None else Dynamic(describe(x))

    if isinstance(v, Call):
        if v.func == CONFIG_CALL:
            return _resolve_ref(v, book, service, depth)
        kwargs = tuple((k, r) for k, x in v.kwargs if (r := _resolve(x, book, service, depth + 1)) is not None)
        return Call(v.func, tuple(sub(x) for x in v.args), kwargs)
    if isinstance(v, Named):
        inner = _resolve(v.value, book, service, depth + 1)
        if inner is None:
            return None
        return inner if isinstance(inner, Named) and inner.name.startswith("${") else Named(v.name, inner)
    if isinstance(v, Concat):
        return Concat(tuple(sub(x) for x in v.parts))  # not merged: a configured part keeps its name
    if isinstance(v, Obj):
        return Obj(v.type, tuple((k, r) for k, x in v.captures if (r := _resolve(x, book, service, depth + 1)) is not None), v.name, v.origin)
    if isinstance(v, Seq):
        return Seq(tuple(sub(x) for x in v.items))
    if isinstance(v, Map):
        return Map(tuple((k, sub(x)) for k, x in v.items))
    if isinstance(v, Env) and v.default is not None:
        return Env(v.var, _resolve(v.default, book, service, depth + 1))
    return v


def _resolve_ref(ref: Call, book: Any, service: str | None, depth: int) -> Value | None:
    opts = dict(ref.kwargs)
    scale = strip(opts.get("scale"))
    factor = scale.value if isinstance(scale, Const) and isinstance(scale.value, (int, float)) else None
    keys = [str(k.value) for k in ref.args if isinstance(k, Const)]
    for key in keys:
        raw = lookup(book, service, key)
        if raw is None:
            items = lookup_list(book, service, key)
            if items is not None:
                return Named("${" + key + "}", Seq(tuple(Const(_scalar(i)) for i in items)))
            continue
        value = _text_value(raw, book, service, depth)
        if key.startswith(LIBRARY_DEFAULT_PREFIX):
            return Named(LIBRARY_DEFAULT, _scaled(value, factor))
        return Named("${" + key + "}", _scaled(value, factor))
    default = opts.get("default")
    if default is not None:
        default = _resolve(default, book, service, depth + 1)
        return _scaled(default, factor)
    if isinstance(strip(opts.get("env")), Const) and keys:  # not configured here: maybe the deployment's environment
        return Env(env_spelling(keys[0]))
    return None


def _text_value(raw: str, book: Any, service: str | None, depth: int) -> Value:
    """A configured text: a scalar, or placeholders followed (``${RISK_URL:http://risk:8080}``)."""
    if "${" in raw and depth < 8:
        v = placeholder_value(raw)
        return _resolve(v, book, service, depth + 1)
    return Const(_scalar(raw))


def _scaled(v: Any, factor: float | None) -> Any:
    if factor is None or v is None:
        return v
    inner = strip(v)
    if isinstance(inner, Const) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
        scaled = inner.value * factor
        scaled = round(scaled, 9)
        out: Value = Const(int(scaled) if scaled == int(scaled) else scaled)
        return Named(v.name, out) if isinstance(v, Named) else out
    return v


def _scalar(text: str) -> Any:
    t = text.strip()
    if _NUMBER.match(t):
        try:
            return int(t) if re.fullmatch(r"[+-]?\d+", t) else float(t)
        except ValueError:
            return t
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return t


# ---------------------------------------------------------------- reading files
def is_config_file(rel: str) -> bool:
    return bool(SPRING_CONFIG_FILES.search(rel))


def config_file_rank(rel: str) -> tuple[int, int, int, str]:
    """Reading order: the base file before profile files, main sources before tests, then depth
    (the first value read for a key wins)."""
    name = rel.rsplit("/", 1)[-1]
    profile = 1 if re.match(r"(application|bootstrap)-", name) else 0
    test = 1 if "/test/" in f"/{rel}" else 0
    return (test, profile, rel.count("/"), rel)


def read_config_file(rel: str, text: str) -> dict[str, str]:
    """Flat ``dotted.key`` → text of a Spring configuration file (YAML documents or properties)."""
    if rel.endswith(".properties"):
        return parse_properties(text)
    from .. import yamlio

    out: dict[str, str] = {}
    try:
        docs = yamlio.load_text(text, rel)
    except yamlio.YamlError:
        return out
    for doc in docs:
        if isinstance(doc, dict):
            for k, v in flatten(doc).items():
                out.setdefault(k, v)
    return out


def flatten(doc: Any, prefix: str = "") -> dict[str, str]:
    """A YAML mapping as Spring's dotted keys (``a: {b: 1}`` → ``a.b``; lists → ``a[0]``)."""
    out: dict[str, str] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            out.update(flatten(v, key))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.update(flatten(v, f"{prefix}[{i}]"))
    elif prefix and doc is not None:
        out[prefix] = str(doc).lower() if isinstance(doc, bool) else str(doc)
    return out


def parse_properties(text: str) -> dict[str, str]:
    """``key=value`` / ``key: value`` lines of a ``.properties`` file (continuations, comments)."""
    out: dict[str, str] = {}
    logical: list[str] = []
    buf = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not buf and (not stripped or stripped[0] in "#!"):
            continue
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buf += stripped[:-1]
            continue
        logical.append(buf + stripped)
        buf = ""
    if buf:
        logical.append(buf)
    for line in logical:
        m = re.match(r"((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$", line)
        if not m:
            continue
        key = m.group(1).replace("\\", "")
        out.setdefault(key, m.group(2).strip())
    return out


__all__ = [
    "CONFIG_CALL",
    "LIBRARY_DEFAULT_PREFIX",
    "SPRING_CONFIG_FILES",
    "canonical",
    "config_ref",
    "env_spelling",
    "flatten",
    "has_config",
    "is_config_file",
    "lookup",
    "parse_properties",
    "placeholder_value",
    "read_config_file",
    "resolve_config",
]
