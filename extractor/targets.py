"""Which service of the monorepo a call goes to.

Evidence, strongest first: a URL or address whose host is a service's name or alias (also the
Kubernetes DNS forms ``risk.ns.svc.cluster.local``), a compose/Kubernetes service whose build
context or name maps to a service, an environment variable whose value (in compose or a
Kubernetes manifest, then in the calling service's ``.env`` files or the compose service's
``env_file:``) or whose default in code names a service, and finally the variable's own name
(``RISK_SERVICE_URL`` → risk).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from . import yamlio
from .discover import name_variants, normalise_name, owner_of
from .facts import Diagnostic, Service
from .svcconfig import canonical, config_file_rank, is_config_file, read_config_file
from .values import Concat, Const, Dynamic, Env, Named, Value, describe, strip, walk

ENV_NAME_SUFFIXES = (
    "_SERVICE_URL",
    "_SERVICE_ADDR",
    "_SERVICE_ADDRESS",
    "_SERVICE_HOST",
    "_SERVICE_ENDPOINT",
    "_API_URL",
    "_BASE_URL",
    "_URL",
    "_ADDR",
    "_ADDRESS",
    "_HOST",
    "_ENDPOINT",
    "_URI",
    "_SERVICE",
)
_HOSTPORT = re.compile(r"^(?:dns:///?|ipv4:|unix:)?(?P<host>[A-Za-z0-9_.\-]+)(?::(?P<port>[0-9]+))?(?P<rest>/.*)?$")
COMPOSE_NAMES = re.compile(r"(^|/)(docker-)?compose[^/]*\.ya?ml$")
ENV_FILES = re.compile(r"(^|/)\.env(\.[A-Za-z0-9_.-]+)?$")  # .env, .env.local, .env.production, .env.example
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")
# configuration files whose keys code reads by name (.NET appsettings: configuration["Services:Risk"])
CONFIG_FILES = re.compile(r"(^|/)appsettings(\.[A-Za-z0-9_-]+)?\.json$")
ASPIRE_PROJECT = re.compile(r"AddProject<\s*Projects\.([A-Za-z0-9_]+)\s*>\s*\(\s*\"([^\"]+)\"")
K8S_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Service", "Job", "CronJob", "Pod", "ReplicaSet"}


@dataclass(frozen=True, slots=True)
class Target:
    service: str | None
    host: str | None = None
    port: int | None = None
    via: str = "unknown"
    expr: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "host": self.host, "port": self.port, "via": self.via, "expr": self.expr}


@dataclass
class AddressBook:
    """Service names, aliases and the environment that deployment files give each service."""

    services: list[Service]
    alias_to_service: dict[str, str] = field(default_factory=dict)
    env_by_service: dict[str, dict[str, str]] = field(default_factory=dict)  # service → VAR → value
    env_sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (service, VAR) → file
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add_alias(self, alias: str, service: str) -> None:
        for v in name_variants(alias) | {alias.lower()}:
            self.alias_to_service.setdefault(v, service)

    def service_for_host(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        candidates = [host]
        if "." in host:
            first = host.split(".", 1)[0]
            if host.endswith((".svc", ".svc.cluster.local", ".local", ".internal")) or host.count(".") >= 1:
                candidates.append(first)
        for c in candidates:
            for v in [c, normalise_name(c), *sorted(name_variants(c))]:
                if v in self.alias_to_service:
                    return self.alias_to_service[v]
        return None

    def env_value(self, service: str, var: str) -> str | None:
        """The value a service's deployment / env / configuration files give ``var``; a .NET
        configuration key and its environment spelling are one (``Services:Risk`` = ``Services__Risk``)."""
        env = self.env_by_service.get(service)
        if not env:
            return None
        for name in (var, var.replace(":", "__"), var.replace("__", ":")):
            if name in env:
                return env[name]
        return None

    def env_source(self, service: str, var: str) -> str:
        for name in (var, var.replace(":", "__"), var.replace("__", ":")):
            if (service, name) in self.env_sources:
                return self.env_sources[(service, name)]
        return ""

    def service_for_env_name(self, var: str) -> str | None:
        upper = var.upper()
        for suffix in ENV_NAME_SUFFIXES:
            if upper.endswith(suffix) and len(upper) > len(suffix):
                stem = upper[: -len(suffix)].lower().replace("_", "-")
                found = self.service_for_host(stem)
                if found:
                    return found
        return None


def build_address_book(root: Path, services: list[Service], other_files: Iterable[str]) -> AddressBook:
    book = AddressBook(services=services)
    for svc in services:
        for alias in svc.aliases:
            book.add_alias(alias, svc.name)
        book.alias_to_service[svc.name.lower()] = svc.name
    roots = [s.root for s in services]
    by_root = {s.root: s.name for s in services}
    for rel in sorted(other_files):
        if not rel.endswith((".yaml", ".yml")):
            continue
        is_compose = bool(COMPOSE_NAMES.search(rel))
        if not is_compose and not _maybe_k8s(rel):
            continue
        try:
            docs = yamlio.load_file(root / rel, rel)
        except yamlio.YamlError as exc:
            if is_compose:
                book.diagnostics.append(Diagnostic(rel, "config_error", exc.message, line=exc.line, severity="warning"))
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if is_compose and isinstance(doc.get("services"), dict):
                _read_compose(book, rel, doc, roots, by_root, root)
            elif doc.get("kind") in K8S_KINDS:
                _read_k8s(book, rel, doc)
    _read_env_files(book, root, roots, by_root, other_files)  # after the deployment files: their values win
    _read_config_files(book, root, roots, by_root, other_files)
    _read_spring_config(book, root, roots, by_root, other_files)
    _read_aspire(book, root, roots, by_root, other_files)
    return book


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=value`` lines of a dotenv file (``export``, quotes and trailing comments allowed)."""
    env: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        if value[:1] in ("'", '"'):
            end = value.find(value[0], 1)
            value = value[1:end] if end > 0 else value[1:]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        env.setdefault(key, value)
    return env


def _env_file_entries(book: AddressBook, service: str, path: Path, rel: str) -> None:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return
    for k, v in parse_env_file(text).items():
        if v:
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)


def _read_env_files(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """A service's own ``.env`` files (in its root or below): the configuration its code reads
    with ``process.env.X`` / ``os.getenv``. ``.env`` first, then the variants (``.env.local``...)."""
    found = [rel for rel in other_files if ENV_FILES.search(rel)]
    found.sort(key=lambda rel: (rel.rsplit("/", 1)[-1] != ".env", rel.count("/"), rel))
    for rel in found:
        owner = owner_of(rel, roots)
        service = by_root.get(owner) if owner is not None else None
        if service is not None:
            _env_file_entries(book, service, root / rel, rel)


def flatten_config(doc: Any, prefix: str = "") -> dict[str, str]:
    """A JSON configuration document as ``Section:Key`` → value (arrays by index), the way
    .NET's configuration system names its keys."""
    out: dict[str, str] = {}
    if isinstance(doc, dict):
        items: Iterable[tuple[Any, Any]] = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        if prefix and doc is not None and not isinstance(doc, bool):
            out[prefix] = str(doc)
        return out
    for k, v in items:
        out.update(flatten_config(v, f"{prefix}:{k}" if prefix else str(k)))
    return out


def _read_config_files(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """A service's configuration files (``appsettings.json``, then ``appsettings.<Env>.json``):
    the values its code reads by key (``configuration["Services:Risk"]``). Deployment files and
    ``.env`` files are read first: their values (``Services__Risk``) override, as at run time."""
    found = [rel for rel in other_files if CONFIG_FILES.search(rel)]
    found.sort(key=lambda rel: (rel.rsplit("/", 1)[-1] != "appsettings.json", rel.count("/"), rel))
    for rel in found:
        owner = owner_of(rel, roots)
        service = by_root.get(owner) if owner is not None else None
        if service is None:
            continue
        try:
            doc = json.loads((root / rel).read_text("utf-8-sig", "replace"))
        except (OSError, ValueError) as exc:
            book.diagnostics.append(Diagnostic(rel, "config_error", f"not JSON: {exc}", severity="warning"))
            continue
        env = book.env_by_service.setdefault(service, {})
        for k, v in flatten_config(doc).items():
            if k.replace(":", "__") in env:  # set by a deployment file in its environment spelling
                continue
            env.setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)


def _read_spring_config(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """A service's Spring configuration files (``application.yml`` / ``.properties``, then the
    profile files, main sources before tests) as dotted keys (``risk.url``): what ``@Value``
    placeholders and configuration keys of rules (``svcconfig``) read; values the deployment gives in
    their environment spelling (``RISK_URL``) are looked up first, as Spring does."""
    found = sorted((rel for rel in other_files if is_config_file(rel)), key=config_file_rank)
    for rel in found:
        owner = owner_of(rel, roots)
        service = by_root.get(owner) if owner is not None else None
        if service is None:
            continue
        try:
            text = (root / rel).read_text("utf-8", "replace")
        except OSError:
            continue
        env = book.env_by_service.setdefault(service, {})
        for k, v in read_config_file(rel, text).items():
            env.setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
            if canonical(k) == "spring.application.name" and v and "${" not in v and "/test/" not in f"/{rel}":
                book.add_alias(v, service)  # the name Spring Cloud discovery and load balancing address it by (lb://risk)


def _read_aspire(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """.NET Aspire app hosts: ``builder.AddProject<Projects.Risk_Api>("risk")`` names the service
    of ``Risk.Api.csproj`` ``risk`` (its address in the other projects: ``http://risk``), and
    ``.WithReference(risk)`` gives the referencing project ``services:risk:http:0``."""
    files = list(other_files)
    projects = {p.rsplit("/", 1)[-1][: -len(".csproj")].replace(".", "_").replace("-", "_"): p for p in files if p.endswith(".csproj")}
    for rel in projects.values():
        try:
            text = (root / rel).read_text("utf-8", "replace")
        except OSError:
            continue
        if "Aspire.AppHost" not in text and "IsAspireHost" not in text:
            continue
        folder = root / rel.rsplit("/", 1)[0] if "/" in rel else root
        try:
            sources = sorted(folder.glob("*.cs"))
        except OSError:
            continue
        for src in sources:
            try:
                code = src.read_text("utf-8", "replace")
            except OSError:
                continue
            names: dict[str, str] = {}  # variable → resource name
            services: dict[str, str] = {}  # resource name → service
            for stmt in code.split(";"):
                m = ASPIRE_PROJECT.search(stmt)
                if m is None:
                    continue
                proj = projects.get(m.group(1))
                owner = owner_of(proj, roots) if proj is not None else None
                service = by_root.get(owner) if owner is not None else None
                if service is None:
                    continue
                book.add_alias(m.group(2), service)
                services[m.group(2)] = service
                var = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*=[^=>][^;]*?AddProject<", stmt)
                if var is not None:
                    names[var.group(1)] = m.group(2)
                for ref in re.findall(r"WithReference\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", stmt):
                    target = names.get(ref)
                    if target is None:
                        continue
                    for key in (f"services:{target}:http:0", f"services:{target}:https:0"):
                        book.env_by_service.setdefault(service, {}).setdefault(key, f"{key.split(':')[2]}://{target}")
                        book.env_sources.setdefault((service, key), src.relative_to(root).as_posix())


def _maybe_k8s(rel: str) -> bool:
    parts = rel.lower().split("/")
    return any(p in ("k8s", "kubernetes", "manifests", "deploy", "deployment", "deployments", "helm", "kustomize", "charts", "kube") for p in parts[:-1]) or parts[-1].endswith((".k8s.yaml", ".k8s.yml"))


def _compose_env(value: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                env[str(k)] = str(v)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and "=" in item:
                k, _, v = item.partition("=")
                env[k.strip()] = v.strip()
    return env


def _read_compose(book: AddressBook, rel: str, doc: dict[str, Any], roots: list[str], by_root: dict[str, str], root: Path | None = None) -> None:
    base = rel.rsplit("/", 1)[0] if "/" in rel else "."
    for name, spec in doc["services"].items():
        if not isinstance(spec, dict):
            continue
        build = spec.get("build")
        context = build.get("context") if isinstance(build, dict) else build
        service: str | None = None
        if isinstance(context, str):
            path = _join(base, context)
            owner = owner_of(path + "/x", roots) if path != "." else None
            if owner is not None and owner != ".":
                service = by_root[owner]
        if service is None:
            service = book.service_for_host(str(name))
        if service is None:
            continue
        for alias in (name, spec.get("hostname"), spec.get("container_name")):
            if isinstance(alias, str):
                book.add_alias(alias, service)
        for k, v in _compose_env(spec.get("environment")).items():
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
        env_files = spec.get("env_file")
        for item in env_files if isinstance(env_files, list) else [env_files] if env_files else []:
            path = item.get("path") if isinstance(item, dict) else item
            if isinstance(path, str) and root is not None:
                target = _join(base, path)
                _env_file_entries(book, service, root / target, target)


def _read_k8s(book: AddressBook, rel: str, doc: dict[str, Any]) -> None:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) and isinstance(meta.get("labels"), dict) else {}
    if not isinstance(name, str):
        return
    service = book.service_for_host(name)
    if service is None:
        for key in ("app", "app.kubernetes.io/name"):
            if isinstance(labels.get(key), str):
                service = book.service_for_host(labels[key])
                if service:
                    break
    if doc.get("kind") == "Service":
        selector = (doc.get("spec") or {}).get("selector") if isinstance(doc.get("spec"), dict) else None
        if service is None and isinstance(selector, dict):
            for v in selector.values():
                if isinstance(v, str) and book.service_for_host(v):
                    service = book.service_for_host(v)
                    break
        if service is not None:
            book.add_alias(name, service)
        return
    containers: list[Any] = []
    spec = doc.get("spec")
    for _ in range(4):  # Deployment → template → spec → containers (CronJob nests deeper)
        if not isinstance(spec, dict):
            break
        if isinstance(spec.get("containers"), list):
            containers = spec["containers"]
            break
        spec = spec.get("template") or spec.get("jobTemplate") or spec.get("spec")
        if isinstance(spec, dict) and "spec" in spec and "containers" not in spec:
            spec = spec["spec"]
    for c in containers:
        if not isinstance(c, dict):
            continue
        if service is None and isinstance(c.get("name"), str):
            service = book.service_for_host(c["name"])
        if service is None:
            continue
        for e in c.get("env") or []:
            if isinstance(e, dict) and isinstance(e.get("name"), str) and e.get("value") is not None:
                book.env_by_service.setdefault(service, {}).setdefault(e["name"], str(e["value"]))
                book.env_sources.setdefault((service, e["name"]), rel)


def _join(base: str, rel: str) -> str:
    parts = [] if base == "." else base.split("/")
    for p in rel.replace("\\", "/").split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/".join(parts) or "."


def host_port(text: str) -> tuple[str | None, int | None]:
    """Host and port of a URL (``http://risk:8080/x``) or an address (``risk:50051``)."""
    text = text.strip()
    if text.startswith("dns:"):  # gRPC names: dns:host:port, dns:///host:port, dns://authority/host:port
        rest = text[4:]
        if rest.startswith("//"):
            rest = rest[2:].partition("/")[2]
        text = rest
    if "://" in text:
        try:
            parts = urlsplit(text)
            host = parts.hostname
            port = parts.port
        except ValueError:
            return None, None
        if host and "{" not in host:
            return host, port
        return None, None
    m = _HOSTPORT.match(text)
    if m and m.group("host") and not m.group("host").startswith("{"):
        host = m.group("host")
        if "." not in host and not m.group("port") and not text.startswith(("dns:", "ipv4:")):
            # a bare word is an address only in gRPC (caller decides); keep it
            pass
        return host, int(m.group("port")) if m.group("port") else None
    return None, None


def leading_text(v: Value | None) -> tuple[str | None, list[str], list[str]]:
    """The literal beginning of a URL value (env defaults filled in), and the env vars / constants it uses."""
    if v is None:
        return None, [], []
    envs: list[str] = []
    consts: list[str] = []
    parts: list[Value] = list(strip(v).parts) if isinstance(strip(v), Concat) else [v]  # type: ignore[union-attr]
    text = ""
    for p in parts:
        for x in walk(p):
            if isinstance(x, Env):
                envs.append(x.var)
            elif isinstance(x, Named):
                consts.append(x.name)
        s = strip(p)
        if isinstance(s, Const) and isinstance(s.value, (str, int, float)) and not isinstance(s.value, bool):
            text += str(s.value)
        elif isinstance(s, Env) and s.default is not None and isinstance(strip(s.default), Const):
            text += str(strip(s.default).value)  # type: ignore[union-attr]
        else:
            text += "{" + describe(p) + "}"
    return text, envs, consts


def resolve_target(
    book: AddressBook,
    caller: str | None,
    url: Value | None,
    base_url: Value | None = None,
    grpc_service: str | None = None,
) -> Target:
    text, envs, consts = leading_text(url)
    via = "url_literal"
    relative = url is None or (text is not None and "://" not in text and not text.startswith("{"))
    if base_url is not None and relative:
        btext, benvs, bconsts = leading_text(base_url)
        if btext is not None:
            text = btext.rstrip("/") + ("/" + text.lstrip("/") if text else "")
            envs, consts, via = benvs + envs, bconsts + consts, "base_url"
    if envs and via == "url_literal":
        via = "env_default"
    elif consts and via == "url_literal":
        via = "config_file" if any(c.startswith("${") for c in consts) else "constant"  # ${risk.url}: a configuration value
    expr = describe(url if url is not None else base_url) if (url is not None or base_url is not None) else None
    host, port = host_port(text) if text and not text.startswith("{") else (None, None)
    if host is not None:
        svc = book.service_for_host(host)
        if svc is not None:
            return Target(svc, host, port, via, expr)
    # an env var: its value in compose/k8s for the calling service, then its name
    for var in envs:
        value = book.env_value(caller or "", var)
        if value is not None:
            h, p = host_port(value)
            if h is not None:
                svc = book.service_for_host(h)
                source = book.env_source(caller or "", var)
                via = "env_file" if ENV_FILES.search(source) else "config_file" if CONFIG_FILES.search(source) or is_config_file(source) else "deploy_env"
                return Target(svc, h, p, via, expr)
        svc = book.service_for_env_name(var)
        if svc is not None:
            return Target(svc, host, port, "env_name", expr)
    for const in consts:
        svc = book.service_for_env_name(const)
        if svc is not None:
            return Target(svc, host, port, "constant_name", expr)
    if grpc_service:
        svc = book.service_for_host(grpc_service)
        if svc is not None:
            return Target(svc, host, port, "grpc_stub", expr)
    return Target(None, host, port, via if host else "unknown", expr)
