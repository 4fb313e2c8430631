"""Find the files and the services of a repository without configuration.

Files come from ``git ls-files`` when the root is in a git work tree (so .gitignore holds),
otherwise from a walk that skips dependency, build and generated folders. Symlinks that lead
out of the scan root are never followed. Services are the outermost directories holding a
service manifest or a ``contracts/`` folder.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from . import safeio, yamlio
from .config import Config
from .facts import Diagnostic, Service
from .images import built_images, image_name, join_path
from .languages import EXTENSIONS

DEFAULT_IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "vendor",
        "build",
        "dist",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".idea",
        ".vscode",
        "bower_components",
        ".gradle",
        ".next",
        ".terraform",
        "site-packages",
        ".contracts-cache",
    }
)
GENERATED_FILE_PATTERNS = (
    "*_pb2.py",
    "*_pb2_grpc.py",
    "*_pb2.pyi",
    "*.pb.go",
    "*_grpc.pb.go",
    "*.pb.gw.go",
    "*_pb.js",
    "*_grpc_pb.js",
    "*.pb.cs",
    "*Grpc.cs",
    "*.min.js",
)
_GENERATED_RE = re.compile("|".join(fnmatch.translate(p) for p in GENERATED_FILE_PATTERNS))

MANIFESTS = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements.txt",
    "Pipfile",
    "package.json",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "Cargo.toml",
    "composer.json",
    "Gemfile",
    "Dockerfile",
)
BUILD_SCRIPTS = (".gradle.kts",)  # Gradle Kotlin DSL: manifests, not the service's Kotlin code
GRADLE_INCLUDE = re.compile(r"""(?m)^\s*include\s*\(?\s*["']""")
GRADLE_NAME = re.compile(r"""(?m)^\s*rootProject\.name\s*=\s*["']([^"']+)["']""")
MANIFEST_SUFFIXES = (".csproj",)
NAME_SUFFIXES = ("-service", "_service", "-svc", "_svc", "-api", "_api", "-server", "_server", "service")


@dataclass
class Inventory:
    root: Path
    files: list[str]  # posix paths relative to root: source files of known languages
    other_files: list[str]  # every other listed file (manifests, YAML, configs)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    from_git: bool = False
    browser: dict[str, str] = field(default_factory=dict)  # source files that run in users' browsers → why (``browser_code``)
    proxy_configs: dict[str, str] = field(default_factory=dict)  # proxy configuration files → the proxy (``proxy_configs``)


def _git_files(root: Path) -> list[str] | None:
    try:
        inside = subprocess.run(["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True, timeout=30)
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    names = out.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk_files(root: Path, ignored: frozenset[str]) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in ignored and not d.endswith(".egg-info"))
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def is_ignored(rel: str, config: Config) -> bool:
    parts = rel.split("/")
    if any(p in DEFAULT_IGNORED_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return True
    if _GENERATED_RE.match(parts[-1]):
        return True
    pure = PurePosixPath(rel)
    return any(pure.match(g) or fnmatch.fnmatch(rel, g) for g in config.ignore)


def inventory(root: Path, config: Config, only: Iterable[str] | None = None) -> Inventory:
    """List the files to scan; symlinks leading outside the root become diagnostics."""
    root = root.resolve()
    listed = sorted(only) if only is not None else _git_files(root)
    from_git = listed is not None and only is None
    if listed is None:
        listed = _walk_files(root, DEFAULT_IGNORED_DIRS)
    inv = Inventory(root=root, files=[], other_files=[], from_git=from_git)
    root_str = str(root)
    for rel in listed:
        if is_ignored(rel, config):
            continue
        full = root / rel
        try:
            if full.is_symlink():
                target = os.path.realpath(full)
                if not (target == root_str or target.startswith(root_str + os.sep)):
                    inv.diagnostics.append(Diagnostic(rel, "symlink_outside_root", f"symlink to {target} leaves the scan root; not followed", severity="info"))
                    continue
                if os.path.isdir(target):
                    continue
            elif not full.is_file():
                continue
        except OSError as exc:
            inv.diagnostics.append(Diagnostic(rel, "unreadable", f"cannot stat: {exc.strerror or exc}", severity="warning"))
            continue
        suffix = os.path.splitext(rel)[1]
        if suffix in EXTENSIONS and not rel.endswith(BUILD_SCRIPTS):
            inv.files.append(rel)
        else:
            inv.other_files.append(rel)
    inv.browser = browser_code(root, inv.files, inv.other_files)
    inv.proxy_configs = proxy_configs(root, inv.other_files)
    return inv


BROWSER_APPS = {"@angular/core": "an Angular app"}
"""``package.json`` dependencies of apps that run in the browser only: every file of theirs is client code."""
SSR_PACKAGES = ("@angular/ssr", "@nguniversal/express-engine")
NEXT_CLIENT_DIRS = frozenset({"components", "providers", "hooks", "contexts", "context"})
"""Folders of React components, providers and hooks in a Next.js app: their effects and handlers run in the browser."""
_NEXT_SERVER_DATA = re.compile(r"\b(getServerSideProps|getStaticProps|getInitialProps)\b")
_USE_CLIENT = re.compile(r"""^(?:\s|//[^\n]*\n|/\*.*?\*/)*["']use client["']""", re.DOTALL)
_JS_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}/[^"']+)["']""")
_JS_SUFFIXES = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", "/index.ts", "/index.tsx", "/index.js", "/index.jsx")


def browser_code(root: Path, files: list[str], other_files: list[str]) -> dict[str, str]:
    """The JavaScript/TypeScript files that run in users' browsers, each with why: every file of an
    Angular app, and the browser part of a Next.js app: ``'use client'`` modules, its React
    components, providers and hooks (``components/``, ...), its pages outside ``pages/api/`` that
    fetch no data on the server (no ``getServerSideProps``/``getStaticProps``/``getInitialProps``),
    and the modules only those import (``utils/Request.ts`` under ``gateways/Api.gateway.ts``).
    Their calls are a client's, not the app's server's (``not_the_services``)."""
    apps: dict[str, tuple[str, str]] = {}  # folder → (kind, why)
    for rel in other_files:
        if rel.rsplit("/", 1)[-1] != "package.json":
            continue
        runtime, dev = _package_deps(_read(root, rel))
        deps = {**dev, **runtime}
        if "next" in deps:
            apps[_parent(rel)] = ("next", "the Next.js app's browser code")
        else:
            app = next((what for package, what in BROWSER_APPS.items() if package in deps), None)
            if app is not None and not any(p in deps for p in SSR_PACKAGES):
                apps[_parent(rel)] = ("browser", f"{app} ({rel}): it runs in the browser")
    if not apps:
        return {}
    scripts = [f for f in files if f.endswith((".js", ".jsx", ".ts", ".tsx", ".mjs"))]
    out: dict[str, str] = {}
    for folder, (kind, why) in sorted(apps.items()):
        inside = [f for f in scripts if folder == "." or f.startswith(folder + "/")]
        inside = [f for f in inside if owner_of(_parent(f) + "/x", list(apps)) == folder]  # not a nested app's
        if kind == "browser":
            out.update(dict.fromkeys(inside, why))
            continue
        found: dict[str, str] = {}
        texts = {f: _read(root, f) for f in inside}
        for f in inside:
            inner = (f if folder == "." else f[len(folder) + 1 :]).split("/")
            if _USE_CLIENT.match(texts[f]):
                found[f] = "a 'use client' module of a Next.js app"
            elif any(p.lower() in NEXT_CLIENT_DIRS for p in inner[:-1]):
                found[f] = "a React component of a Next.js app (components/, providers/, hooks/)"
            elif (
                inner[0] == "pages"
                and inner[1:2] != ["api"]
                and not inner[-1].startswith(("_app.", "_document.", "_middleware."))
                and not _NEXT_SERVER_DATA.search(texts[f])
            ):
                found[f] = "a Next.js page with no server-side data fetching"
        importers: dict[str, set[str]] = {}
        for f, text in texts.items():
            for target in _JS_IMPORT.findall(text):
                base = join_path(_parent(f), target)
                resolved = next((base + sfx for sfx in _JS_SUFFIXES if base + sfx in texts), None)
                if resolved is not None and resolved != f:
                    importers.setdefault(resolved, set()).add(f)
        changed = True
        while changed:  # modules imported only by browser code are browser code
            changed = False
            for f, users in sorted(importers.items()):
                if f not in found and users and all(u in found for u in users):
                    found[f] = f"imported only by browser code ({sorted(users)[0]})"
                    changed = True
        out.update(found)
    return out


def _parent(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else "."


def _is_aggregator(root: Path, rel_dir: str, manifests: list[str]) -> bool:
    """Workspace manifests (npm workspaces, maven modules, uv/poetry workspaces) are not services."""
    base = root if rel_dir == "." else root / rel_dir
    if manifests and all(
        m in ("package.json", "pom.xml", "pyproject.toml", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts") for m in manifests
    ):
        try:
            if "package.json" in manifests and '"workspaces"' in (base / "package.json").read_text("utf-8", "replace"):
                return True
            if "pom.xml" in manifests and "<modules>" in (base / "pom.xml").read_text("utf-8", "replace"):
                return True
            if "pyproject.toml" in manifests and "[tool.uv.workspace]" in (base / "pyproject.toml").read_text("utf-8", "replace"):
                return True
            for settings in ("settings.gradle.kts", "settings.gradle"):  # a Gradle multi-project build: include("loyalty", ...)
                if settings in manifests and GRADLE_INCLUDE.search((base / settings).read_text("utf-8", "replace")):
                    return True
        except OSError:
            return False
    return False


def _manifest_name(root: Path, rel_dir: str, manifests: list[str]) -> list[str]:
    base = root if rel_dir == "." else root / rel_dir
    names: list[str] = []
    try:
        if "package.json" in manifests:
            data = json.loads((base / "package.json").read_text("utf-8"))
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                names.append(data["name"].rsplit("/", 1)[-1])
        if "pyproject.toml" in manifests:
            m = re.search(r'(?m)^\s*name\s*=\s*["\']([^"\']+)["\']', (base / "pyproject.toml").read_text("utf-8"))
            if m:
                names.append(m.group(1))
        if "go.mod" in manifests:
            m = re.search(r"(?m)^module\s+(\S+)", (base / "go.mod").read_text("utf-8"))
            if m:
                names.append(m.group(1).rstrip("/").rsplit("/", 1)[-1])
        for settings in ("settings.gradle.kts", "settings.gradle"):
            if settings in manifests:
                m = GRADLE_NAME.search((base / settings).read_text("utf-8"))
                if m:
                    names.append(m.group(1))
    except (OSError, ValueError):
        pass
    return names


def _declared_service_name(root: Path, contract_files: list[str]) -> str | None:
    names: set[str] = set()
    for rel in contract_files:
        try:
            docs = yamlio.load_file(root / rel, rel)
        except yamlio.YamlError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("service"), str):
                names.add(doc["service"])
    return names.pop() if len(names) == 1 else None


def normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def name_variants(name: str) -> set[str]:
    """``risk-service`` is also ``risk``; ``RiskService`` is also ``risk``."""
    base = normalise_name(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name))
    out = {base, base.replace("-", "")}
    for suffix in ("-service", "-svc", "-api", "-server", "-srv", "service"):
        if base.endswith(suffix) and len(base) > len(suffix):
            stem = base[: -len(suffix)].strip("-")
            out |= {stem, stem.replace("-", "")}
    return {v for v in out if v}


ROLES = (
    "service",
    "proxy",
    "image",
    "test",
    "library",
    "orchestrator",
    "shared-defaults",
    "build",
    "workspace",
    "client",
    "infrastructure",
    "excluded",
    "nested",
)
"""What a folder with a manifest is: a service (``service``, ``proxy``; ``image``: a service of the
system that runs a stock image and has no folder of its own, a node with no code), or why it is not
one (``client``: a mobile, desktop or browser app; ``infrastructure``: a stock database, broker,
cache or telemetry image)."""
TEST_NAME_SUFFIXES = (".tests", ".test", ".unittests", ".integrationtests", ".functionaltests", "_test", "_tests", "-test", "-tests")
TEST_PROJECT_MARKERS = ("Microsoft.NET.Test.Sdk", "xunit", "NUnit", "MSTest.TestFramework", "<IsTestProject>true")
_DOCKER_ARG = re.compile(r"(?m)^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)")
BUILDKIT_ARGS = frozenset({"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"})
"""BuildKit's automatic build arguments: a multi-platform build, not a Dockerfile parameterised by its source."""
FOREIGN_MANIFESTS = ("mix.exs", "CMakeLists.txt")
"""Manifests of services in languages that are not read (Elixir, C++; Rust's Cargo.toml, PHP's composer.json and Ruby's Gemfile are ``MANIFESTS`` entries): beside a
Dockerfile, the folder is a service whose calls are not seen (it can still be called)."""
CLIENT_PACKAGES = {"expo": "an Expo app", "react-native": "a React Native app", "electron": "an Electron desktop app"}
"""``package.json`` dependencies that make the folder an app running on users' devices: a client."""
DATABASE_IMAGES = frozenset(
    {
        "postgres",
        "postgresql",
        "postgis",
        "mysql",
        "mariadb",
        "mssql",
        "mongo",
        "mongodb",
        "cassandra",
        "couchbase",
        "neo4j",
        "elasticsearch",
        "opensearch",
        "redis",
        "valkey",
    }
)
"""Stock database images that run the scripts and data files a folder adds to them (``/docker-entrypoint-initdb.d``)."""
COLLECTOR_IMAGES = {
    "fluentd": "a log collector",
    "fluent-bit": "a log collector",
    "logstash": "a log collector",
    "vector": "a log collector",
    "filebeat": "a log collector",
    "promtail": "a log collector",
    "telegraf": "a metrics collector",
    "prometheus": "a metrics collector",
    "opentelemetry-collector": "a telemetry collector",
    "opentelemetry-collector-contrib": "a telemetry collector",
    "otel-collector": "a telemetry collector",
    "alloy": "a telemetry collector",
}
"""Stock images of log, metrics and telemetry collectors, and what each is: a folder that starts
from one and adds its configuration and plugins (``RUN fluent-gem install ...``, ``plugins/*.rb``)
is infrastructure, not a service, whatever code its plugins hold."""
INFRASTRUCTURE_IMAGES = (
    DATABASE_IMAGES
    | frozenset(COLLECTOR_IMAGES)
    | frozenset(
        {
            "memcached",
            "opensearch-dashboards",
            "kibana",
            "logstash",
            "rabbitmq",
            "kafka",
            "zookeeper",
            "nats",
            "pulsar",
            "activemq",
            "seq",
            "jaeger",
            "all-in-one",
            "zipkin",
            "prometheus",
            "grafana",
            "loki",
            "tempo",
            "opentelemetry-collector",
            "opentelemetry-collector-contrib",
            "otel-collector",
            "consul",
            "eureka",
            "config-server",
            "keycloak",
            "etcd",
            "minio",
            "azurite",
            "localstack",
            "dynamodb",
            "dynamodb-local",
        }
    )
)
"""Stock images of databases, brokers, caches, search and telemetry backends, configuration
servers, registries and identity providers: the data and infrastructure layers of the graph (store
and infrastructure nodes, made from the clients' facts), not services of the system."""


@dataclass(frozen=True)
class Folder:
    """A folder discovery looked at (one with a manifest or a ``contracts/`` folder): the service it
    is, or what it is instead, and why (``contracts scan`` shows it; JSON ``inventory``)."""

    root: str
    role: str  # one of ROLES
    reason: str
    service: str | None = None

    @property
    def is_service(self) -> bool:
        return self.role in ("service", "proxy", "image")

    @property
    def has_folder(self) -> bool:
        """False for a service with no folder of its own (a Compose image, an Aspire resource): ``root`` is ``FILE#NAME``."""
        return "#" not in self.root

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "service": self.service, "role": self.role, "reason": self.reason}


def find_services(inv: Inventory, config: Config) -> list[Service]:
    return survey(inv, config)[0]


def survey(inv: Inventory, config: Config) -> tuple[list[Service], list[Folder]]:
    """The services of the repository and every folder considered, with why it is or is not a service."""
    root = inv.root
    all_files = inv.files + inv.other_files
    manifests_by_dir: dict[str, list[str]] = {}
    contracts_by_dir: dict[str, list[str]] = {}
    for rel in all_files:
        name = rel.rsplit("/", 1)[-1]
        parent = _parent(rel)
        if name in MANIFESTS or name.endswith(MANIFEST_SUFFIXES):
            manifests_by_dir.setdefault(parent, []).append(name)
        parts = rel.split("/")
        if "contracts" in parts[:-1] and name.endswith((".yaml", ".yml")):
            idx = parts.index("contracts")
            holder = "/".join(parts[:idx]) or "."
            contracts_by_dir.setdefault(holder, []).append(rel)

    roots: list[str]
    builds: dict[str, tuple[str, str]] = {}  # image name → the folder that builds it, where (``images.built_images``)
    verdicts: dict[str, tuple[str, str]] = {}
    mounted: dict[str, tuple[str, str]] = {}
    modes: dict[str, BuildMode] = {}
    composed = compose_services(root, inv.other_files)
    if config.services:
        dirs = {_parent(f) for f in all_files} | {"."}
        expanded = set()
        for d in list(dirs):
            while d != ".":
                expanded.add(d)
                d = _parent(d)
        roots = sorted(d for d in expanded | {"."} if any(fnmatch.fnmatch(d, g.rstrip("/")) for g in config.services))
        verdicts = {r: ("service", f"services = {list(config.services)} ({config.source})") for r in roots}
    else:
        mounted = _compose_proxies(composed, inv)
        every = [
            m
            for ms in [
                *build_modes(root, composed, inv.files).values(),
                *mounted_modes(composed, inv.files).values(),
                *dockerfile_programs(root, composed, inv.files).values(),
            ]
            for m in ms
        ]
        modes = {m.root: m for m in every}
        for m in every:  # one build run as several services: the build is none of them, each mode's folder is one
            verdicts[m.build] = ("build", _build_reason(m.build, [n for n in every if n.build == m.build]))
        candidates = (set(contracts_by_dir) | set(manifests_by_dir) | _included(all_files, config) | set(mounted) | set(modes)) - {"."} - set(verdicts)
        project_refs = _project_references(root, all_files)
        deployed = frozenset(c.build for c in composed if c.build is not None)
        builds = built_images(root, inv.other_files, candidates)
        bases = _base_images(root, inv, builds)
        roots = []
        for d in sorted(candidates, key=lambda x: (x.count("/"), x)):
            outer = next((r for r in roots if d.startswith(r + "/")), None)
            if d in modes:
                m = modes[d]
                role, reason = (
                    "service",
                    f"compose service {m.name} runs the program {m.arg} of the build {m.build} ({m.where}): its code is the package {d}, the one it alone uses"
                    if m.program
                    else f"compose service {m.name} runs the image built from {m.build} with its working directory inside its mount of {d} ({m.where}): its code is {d}'s"
                    if m.mounted
                    else f'compose service {m.name} runs the build {m.build} with the argument {m.arg}: its code is the package {d}, reached from case "{m.arg}" ({m.where})',
                )
            else:
                role, reason = _classify(root, d, sorted(manifests_by_dir.get(d, [])), d in contracts_by_dir, inv, config, project_refs, deployed)
            if role == "service" and d in bases:
                role, reason = "build", bases[d]
            if role == "service" and d in mounted and d not in manifests_by_dir:
                role, reason = "proxy", mounted[d][1]
            if outer is not None and role in ("service", "proxy"):
                role, reason = "nested", f"inside the service folder {outer}"
            verdicts[d] = (role, reason)
            if role in ("service", "proxy"):
                roots.append(d)
        if not roots:
            roots = ["."]
            verdicts["."] = ("service", "no folder is a service: the repository is one")

    lang_by_root: dict[str, set[str]] = {r: set() for r in roots}
    for rel in inv.files:
        owner = owner_of(rel, roots)
        if owner is not None:
            lang_by_root[owner].add(EXTENSIONS[os.path.splitext(rel)[1]])
    services: list[Service] = []
    used: dict[str, int] = {}
    dirnames = {r: _dir_name(root, r, roots) for r in roots}
    builders = {c.build: c.name for c in sorted(composed, key=lambda c: (c.file, c.name)) if c.build is not None and c.build in dirnames}
    for r in roots:
        dirname = dirnames[r]
        if r in builders and sum(1 for n in dirnames.values() if n == dirname) > 1:  # two aggregator/ folders: their compose names
            dirname = builders[r]
        manifests = sorted(manifests_by_dir.get(r, []))
        declared = _declared_service_name(root, contracts_by_dir.get(r, []))
        mode = modes.get(r) if not config.services else None
        name = (
            config.names.get(r)
            or declared
            or (mounted[r][0] if r in mounted and not config.services else None)
            or (mode.name if mode and not mode.mounted else None)
            or dirname
        )
        if name in used:
            used[name] += 1
            name = f"{name}-{r.replace('/', '-')}"
        used.setdefault(name, 1)
        aliases = {name, dirname, *_manifest_name(root, r, manifests)}
        variants: set[str] = set()
        for a in aliases:
            variants |= name_variants(a)
        services.append(
            Service(name=name, root=r, languages=tuple(sorted(lang_by_root[r])), manifests=tuple(manifests), aliases=tuple(sorted(variants | aliases)))
        )
    by_root = {s.root: s.name for s in services}
    folders = [Folder(d, role, reason, by_root.get(d)) for d, (role, reason) in sorted(verdicts.items())]
    if not config.services:
        images = compose_images(composed, services, builds, root)
        joined = {i.name: i for i in images if i.built is not None and i.built[0] in by_root}  # the image of a service's own folder: that service
        for n, s in enumerate(services):
            runs = sorted(i.name for i in joined.values() if i.built is not None and i.built[0] == s.root)
            if runs:
                services[n] = replace(s, aliases=tuple(sorted({*s.aliases, *(v for r in runs for v in name_variants(r) | {r})})))
        folders = [
            replace(
                f,
                reason=f"{f.reason}; "
                + "; ".join(
                    f"compose service {i.name} ({i.file}) runs its image {i.image} ({i.built[1]})" for i in joined.values() if i.built and i.built[0] == f.root
                ),
            )
            if any(i.built and i.built[0] == f.root for i in joined.values())
            else f
            for f in folders
        ]
        folders += [image.folder() for image in images if image.name not in joined]
        hosts = [d for d, (role, _) in verdicts.items() if role == "orchestrator"]
        taken = {s.name for s in services} | {f.service for f in folders if f.service}
        folders += _aspire_proxies(inv, root, hosts, taken)
    return sorted(services, key=lambda s: s.root), folders


CLIENT_ASSET_DIRS = frozenset({"static", "wwwroot"})
"""Folders of browser assets a backend serves: their scripts run in the browser, a client of the backend."""


def not_the_services(rel: str, service_root: str, browser: Mapping[str, str] | None = None) -> str | None:
    """Why code in ``rel`` is not its service's own (None: it is): a test folder below the service's
    root (``src/test/``, ``tests/``: test code exercises the service), or browser assets it serves
    (``static/``, ``wwwroot/``: scripts of a client of the service), or browser code of its app
    (``browser``: ``Inventory.browser``, the React components of a Next.js app)."""
    if browser and rel in browser:
        return "client"
    inner = rel if service_root == "." else rel[len(service_root) + 1 :]
    for p in inner.split("/")[:-1]:
        if p.lower() in TEST_DIRS:
            return "test"
        if p.lower() in CLIENT_ASSET_DIRS:
            return "client"
    return None


def with_proxies(folders: list[Folder], routes: dict[str, str]) -> list[Folder]:
    """The inventory once the routes are read: a service whose configuration declares proxy routes
    (``routes``: service → the first file) is a proxy."""
    return [
        replace(f, role="proxy", reason=f"{f.reason}; routes declared in {routes[f.service]}") if f.role == "service" and f.service in routes else f
        for f in folders
    ]


COMPOSE_NAMES = re.compile(r"(^|/)(docker-)?compose[^/]*\.ya?ml$")
"""Compose files by name (``docker-compose.yml``, ``compose.override.yaml``); the reader is ``environment.compose``."""


@dataclass(frozen=True)
class ComposeService:
    """One service entry of a Docker Compose file, as discovery needs it."""

    name: str
    file: str
    image: str | None  # ${VAR} filled in from the .env file beside the compose file
    has_build: bool
    build: str | None  # the folder it builds: its context, or the dockerfile's folder inside it
    paths: tuple[str, ...]  # repository paths it builds from or mounts (``./gateways/envoy/web:/etc/envoy``)
    command: tuple[str, ...] = ()  # the words of its ``entrypoint:`` then its ``command:``
    workdir: str | None = None  # the repository folder its ``working_dir:`` lies in through a bind mount (``compose_workdir``)
    dockerfile: str | None = None  # the repository path of the Dockerfile it builds with (``build.dockerfile``, else ``Dockerfile``)
    context: str | None = None  # the repository folder of its build context


def compose_services(root: Path, files: Iterable[str]) -> list[ComposeService]:
    """Every service entry of the repository's Compose files (``COMPOSE_NAMES``), in file order."""
    out: list[ComposeService] = []
    for rel in sorted(files):
        if not COMPOSE_NAMES.search(rel):
            continue
        try:
            docs = yamlio.load_file(root / rel, rel)
        except yamlio.YamlError:
            continue
        base = _parent(rel)
        env = parse_env_file(_read(root, join_path(base, ".env")))  # what compose fills ${VAR} from
        for doc in docs:
            services = doc.get("services") if isinstance(doc, dict) else None
            for name, spec in sorted(services.items()) if isinstance(services, dict) else []:
                if not isinstance(spec, dict):
                    continue
                build = spec.get("build")
                context = build.get("context") if isinstance(build, dict) else build
                paths = [context] + [
                    v.split(":", 1)[0] if isinstance(v, str) else v.get("source") if isinstance(v, dict) else None for v in spec.get("volumes") or []
                ]
                image = spec.get("image")
                out.append(
                    ComposeService(
                        str(name),
                        rel,
                        substitute(image, env) if isinstance(image, str) else None,
                        "build" in spec,
                        compose_build_folder(base, spec),
                        tuple(join_path(base, p) for p in paths if isinstance(p, str) and p.startswith(".")),
                        tuple(_words(spec.get("entrypoint")) + _words(spec.get("command"))),
                        compose_workdir(base, spec),
                        _compose_dockerfile(base, spec),
                        join_path(base, context) if isinstance(context, str) and "$" not in context else None,
                    )
                )
    return out


def _compose_dockerfile(base: str, spec: dict[str, Any]) -> str | None:
    """The repository path of the Dockerfile a Compose service builds with: ``build.dockerfile``
    inside its context, else the context's ``Dockerfile``; None without a build or with a variable."""
    build = spec.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
    if not isinstance(context, str) or not isinstance(dockerfile, str) or "$" in context + dockerfile or dockerfile.startswith("/"):
        return None
    return join_path(join_path(base, context), dockerfile)


def _words(command: Any) -> list[str]:
    """A Compose ``entrypoint:`` / ``command:`` as words (a list as is, a string split as a shell does)."""
    if isinstance(command, list):
        return [str(w) for w in command if isinstance(w, (str, int, float))]
    if isinstance(command, str):
        try:
            return shlex.split(command)
        except ValueError:
            return command.split()
    return []


def compose_workdir(base: str, spec: dict[str, Any]) -> str | None:
    """The repository folder a Compose service's ``working_dir:`` lies in through one of its bind
    mounts of the tree (``volumes: [./internal:/internal]`` with ``working_dir: /internal/trainer``
    → ``internal/trainer``): the code it runs is that folder's, whatever image runs it. None when
    the working directory is inside no mount of a repository folder."""
    workdir = spec.get("working_dir")
    if not isinstance(workdir, str) or not workdir.startswith("/") or "$" in workdir:
        return None
    for volume in spec.get("volumes") or []:
        source, target = (
            (volume.split(":")[:2] + [""])[:2]
            if isinstance(volume, str)
            else (volume.get("source"), volume.get("target"))
            if isinstance(volume, dict)
            else (None, None)
        )
        if not isinstance(source, str) or not isinstance(target, str) or not source.startswith(".") or "$" in source or not target.startswith("/"):
            continue
        target = target.rstrip("/") or "/"
        if workdir.rstrip("/") == target or workdir.startswith(target.rstrip("/") + "/"):
            folder = join_path(join_path(base, source), workdir[len(target) :].strip("/") or ".")
            return folder if folder not in ("", ".") else None
    return None


def compose_build_folder(base: str, spec: dict[str, Any]) -> str | None:
    """The folder a Compose service builds (``base``: the compose file's folder): its ``build:``
    context, or the folder of its ``dockerfile:`` inside the context (``context: .`` with
    ``dockerfile: services/risk/Dockerfile`` builds ``services/risk``); None without a build."""
    build = spec.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
    if not isinstance(context, str) or "$" in context:
        return None
    folder = join_path(base, context)
    if isinstance(dockerfile, str) and "/" in dockerfile and "$" not in dockerfile:
        folder = join_path(folder, dockerfile.rsplit("/", 1)[0])
    return folder


@dataclass(frozen=True)
class BuildMode:
    """One Compose service of a build that several Compose services run, each with its own argument
    (``entrypoint: app search``): the service, the argument, and the folder of the code the
    entry point's ``case "search":`` branch reaches (``root``), found in ``where``."""

    name: str
    build: str
    arg: str
    root: str
    where: str
    program: bool = False  # the argument names one of the build's programs (``entrypoint: frontend``, ``cmd/frontend/``), not a ``case``
    mounted: bool = False  # the argument is its ``working_dir:``, inside a bind mount of the folder ``root`` (``compose_workdir``)


_GO_CASE = re.compile(r'(?m)^([ \t]*)case\s+((?:"[^"\n]*"\s*,\s*)*"[^"\n]*")\s*:')
_GO_IMPORT = re.compile(r'(?m)^\s*(?:import\s+)?([A-Za-z_][A-Za-z0-9_]*|\.|_)?\s*"([^"\n]+)"\s*$')
_GO_USE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.[A-Z]")
_GO_MODULE = re.compile(r"(?m)^\s*module\s+(\S+)")


def _go_imports(text: str) -> dict[str, str]:
    """A Go file's imports: name used in the code → import path (the last element when not renamed)."""
    out: dict[str, str] = {}
    for block in re.findall(r"(?ms)^import\s*\((.*?)^\)", text) + re.findall(r'(?m)^import\s+((?:[A-Za-z_]\w*\s+)?"[^"]+")', text):
        for m in _GO_IMPORT.finditer(block):
            path = m.group(2)
            last = path.rsplit("/", 1)[-1]
            if re.fullmatch(r"v\d+", last) and "/" in path:  # a major-version suffix: the package is the element before
                last = path.rsplit("/", 2)[-2]
            out.setdefault(m.group(1) or last.replace("-", "_"), path)
    return out


def _case_bodies(text: str) -> dict[str, tuple[str, int]]:
    """The ``case "x":`` branches of a Go file: label → (the branch's text, its line)."""
    lines = text.splitlines()
    out: dict[str, tuple[str, int]] = {}
    for m in _GO_CASE.finditer(text):
        indent = len(m.group(1).expandtabs())
        start = text.count("\n", 0, m.start())
        body: list[str] = []
        for line in lines[start + 1 :]:
            stripped = line.strip()
            if stripped and len(line.expandtabs()) - len(line.expandtabs().lstrip()) <= indent and re.match(r"(case\b|default\s*:|\})", stripped):
                break
            body.append(line)
        for label in re.findall(r'"([^"\n]*)"', m.group(2)):
            out.setdefault(label, ("\n".join(body), start + 1))
    return out


def _build_reason(build: str, modes: list[BuildMode]) -> str:
    runs = ", ".join(f"{m.name} ({m.arg})" for m in sorted(modes, key=lambda m: m.name))
    if all(m.mounted for m in modes):
        return f"a shared image: its compose services each run the code of a mounted folder from their working directory: {runs}; each is that folder's service"
    if all(m.program for m in modes):
        return f"one build of several programs run as {len(modes)} compose services, each its own program: {runs}; each is a service of its own, its code the package its program alone uses"
    return f"one build run as {len(modes)} compose services, each with its own argument: {runs}; each is a service of its own, its code the package its argument reaches"


def _module_folders(code: str, imports: dict[str, str], module_prefix: str, prefix: str, folders: set[str]) -> set[str]:
    """The build's folders whose packages ``code`` uses (``searchsrv.New`` → ``internal/search``)."""
    used = set()
    for name in _GO_USE.findall(code):
        path = imports.get(name, "")
        if path.startswith(module_prefix) and prefix + path[len(module_prefix) :] in folders:
            used.add(prefix + path[len(module_prefix) :])
    return used


def build_modes(root: Path, composed: list[ComposeService], files: list[str]) -> dict[str, list[BuildMode]]:
    """Builds that several Compose services run, each with an argument picking what it runs: build
    folder → its modes. A mode is kept when the build's Go entry point (a ``package main`` file in
    the build folder) has a ``case "<argument>":`` branch that uses exactly one package of the
    build's module no other branch uses (``case "search": srv = searchsrv.New(...)``); that
    package's folder is the code of the service. A build is kept when two or more of its Compose
    services have such a mode, with different folders. A build holding several programs (``go install
    ./cmd/...``: one binary per ``package main`` folder, named after it) has a mode per Compose
    service whose entry point is one of them (``entrypoint: frontend`` runs ``cmd/frontend``): the
    program's own package is the one of the module it uses and no other program does."""
    by_build: dict[str, list[ComposeService]] = {}
    for c in composed:
        if c.build is not None and c.command:
            by_build.setdefault(c.build, []).append(c)
    out: dict[str, list[BuildMode]] = {}
    folders = {_parent(f) for f in files}
    for build, group in sorted(by_build.items()):
        if len({c.name for c in group}) < 2:
            continue
        go_mod = _read(root, "go.mod" if build == "." else f"{build}/go.mod")
        module = _GO_MODULE.search(go_mod)
        if module is None:
            continue
        cases: dict[str, tuple[set[str], str]] = {}  # label → (the build's folders it uses, file:line)
        programs: dict[str, tuple[set[str], str]] = {}  # program (its folder's name) → (the build's folders it uses, its folder)
        prefix = "" if build == "." else build + "/"
        module_prefix = module.group(1) + "/"
        for rel in files:
            if not (rel.endswith(".go") and rel.startswith(prefix)):
                continue
            text = _read(root, rel)
            if not re.search(r"(?m)^package\s+main\b", text):
                continue
            imports = _go_imports(text)
            for label, (body, line) in _case_bodies(text).items():
                cases.setdefault(label, (_module_folders(body, imports, module_prefix, prefix, folders), f"{rel}:{line}"))
            program = _parent(rel)
            if program != build:
                seen = programs.setdefault(program.rsplit("/", 1)[-1], (set(), program))
                if seen[1] == program:
                    seen[0].update(_module_folders(text, imports, module_prefix, prefix, folders))
        modes: list[BuildMode] = []
        for c in sorted(group, key=lambda c: c.name):
            table, arg = cases, next((w for w in c.command if w in cases), None)
            if arg is None and c.command and c.command[0].rsplit("/", 1)[-1] in programs:
                table, arg = programs, c.command[0].rsplit("/", 1)[-1]
            if arg is None:
                continue
            used, where = table[arg]
            others = set().union(*(u for lab, (u, _) in table.items() if lab != arg))
            own = sorted(used - others)
            if len(own) == 1:
                modes.append(BuildMode(c.name, build, arg, own[0], where, table is programs))
        if len(modes) >= 2 and len({m.root for m in modes}) == len(modes):
            out[build] = modes
    return out


_GO_BUILD = re.compile(r"\bgo\s+(?:build|install)\b")


def dockerfile_programs(root: Path, composed: list[ComposeService], files: list[str]) -> dict[str, list[BuildMode]]:
    """One Go module whose programs each Compose service builds with its own Dockerfile (``dockerfile:
    ./docker/Dockerfile-counter`` running ``go build -o /bin/app ./cmd/counter``, no ``command:``):
    the module's folder → a mode per Compose service. The service's code is the folders the
    program's package reaches through the module's imports (transitively) and no other program
    reaches: their common folder (``internal/counter`` for ``cmd/counter/config`` aside and
    ``internal/counter/app``, ``.../infras``), which must hold no other program's folder; the
    program's own folder when it reaches nothing of its own outside it. Kept when two or more
    services build different programs of the module and their code folders differ."""
    by_context: dict[str, list[tuple[ComposeService, str, str]]] = {}
    for c in composed:
        if c.dockerfile is None or c.command:
            continue
        text = _read(root, c.dockerfile).replace("\\\n", " ")
        targets: set[tuple[str, int]] = set()
        for number, line in enumerate(text.splitlines(), 1):
            if _GO_BUILD.search(line):
                targets |= {(w.removeprefix("./").rstrip("/"), number) for w in line.split() if w.startswith("./") and "..." not in w and "$" not in w}
        if len({t for t, _ in targets}) != 1:
            continue
        target, number = min(targets)
        context = c.context
        if context is None:
            continue
        by_context.setdefault(context, []).append((c, join_path(context, target), f"{c.dockerfile}:{number}"))
    out: dict[str, list[BuildMode]] = {}
    for context, group in sorted(by_context.items()):
        programs = sorted({p for _, p, _ in group})
        module = _GO_MODULE.search(_read(root, "go.mod" if context == "." else f"{context}/go.mod"))
        if len(programs) < 2 or module is None:
            continue
        prefix = "" if context == "." else context + "/"
        module_prefix = module.group(1) + "/"
        go_files: dict[str, list[str]] = {}
        for rel in files:
            if rel.endswith(".go") and not rel.endswith("_test.go") and rel.startswith(prefix):
                go_files.setdefault(_parent(rel), []).append(rel)
        deps: dict[str, set[str]] = {}
        for folder, rels in go_files.items():
            paths = {p for rel in rels for p in _go_imports(_read(root, rel)).values() if p.startswith(module_prefix)}
            deps[folder] = {prefix + p[len(module_prefix) :] for p in paths} & set(go_files)
        reach: dict[str, set[str]] = {}
        for program in programs:
            seen, todo = {program}, [program]
            while todo:
                for d in deps.get(todo.pop(), set()) - seen:
                    seen.add(d)
                    todo.append(d)
            reach[program] = seen
        modes: list[BuildMode] = []
        for c, program, where in sorted(group, key=lambda g: g[0].name):
            if program not in go_files:
                continue
            others = set().union(*(r for q, r in reach.items() if q != program))
            own = {f for f in reach[program] - others if f != program and not f.startswith(program + "/")}
            code = os.path.commonpath(sorted(own)) if own else program
            if code in ("", ".", context) or any(f == code or f.startswith(code + "/") for f in others):
                continue
            modes.append(BuildMode(c.name, context, program.rsplit("/", 1)[-1], code, where, program=True))
        if len(modes) >= 2 and len({m.root for m in modes}) == len(modes):
            out[context] = modes
    return out


def mounted_modes(composed: list[ComposeService], files: list[str]) -> dict[str, list[BuildMode]]:
    """Builds whose every Compose service runs the code of a folder of the tree it mounts, from a
    working directory inside the mount (``compose_workdir``: one generic Go image, ``volumes:
    [./internal:/internal]``, ``working_dir: /internal/trainer``): build folder → a mode per Compose
    service, its code that folder (which must hold source). The build is then an image, not a service."""
    by_build: dict[str, list[ComposeService]] = {}
    for c in composed:
        if c.build is not None:
            by_build.setdefault(c.build, []).append(c)
    out: dict[str, list[BuildMode]] = {}
    for build, group in sorted(by_build.items()):
        modes = [
            BuildMode(c.name, build, c.workdir, c.workdir, c.file, mounted=True)
            for c in sorted(group, key=lambda c: c.name)
            if c.workdir is not None and c.workdir != build and any(f.startswith(c.workdir + "/") for f in files)
        ]
        if modes and len(modes) == len(group):
            out[build] = modes
    return out


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def substitute(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution (``${VAR}``, ``${VAR:-default}``, ``$VAR``) from ``env``; an unknown variable stays."""

    def fill(m: re.Match[str]) -> str:
        var = m.group(1) or m.group(3)
        if var in env:
            return env[var]
        return m.group(2) if m.group(2) is not None else m.group(0)

    return _VAR.sub(fill, text)


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")


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


@dataclass(frozen=True)
class ComposeImage:
    """A Compose service that runs an image and builds nothing in the repository: a service of the
    system with no code (``infrastructure`` None), or a stock database, broker, cache or telemetry
    image (``infrastructure``: which)."""

    name: str
    file: str
    image: str
    infrastructure: str | None
    built: tuple[str, str] | None = None  # the folder of the repository that builds the image, where that is said (``images``)

    def folder(self) -> Folder:
        where = f"compose service {self.name} ({self.file}) runs the image {self.image} and builds nothing here"
        if self.built is not None:
            where = f"compose service {self.name} ({self.file}) runs the image {self.image}, which {self.built[0]} builds ({self.built[1]})"
        if self.infrastructure is not None:
            return Folder(
                f"{self.file}#{self.name}",
                "infrastructure",
                f"{where}: a stock {self.infrastructure} image, not a service (a store or infrastructure node when code or configuration uses it)",
            )
        return Folder(f"{self.file}#{self.name}", "image", f"{where}: a service of the system with no code of its own", self.name)


def compose_images(
    composed: list[ComposeService],
    services: list[Service],
    builds: Mapping[str, tuple[str, str]] | None = None,
    root: Path | None = None,
) -> list[ComposeImage]:
    """The Compose services that run an image and build no folder in any Compose file, and whose
    name and image name are not one of the repository's services (by name variants, as addresses
    are matched). An image the build tooling builds from a folder (``builds``: ``images.built_images``)
    that is a service's, or one whose Dockerfile is a stock infrastructure image, carries it: the
    caller joins the first to that service, the second is infrastructure."""
    known = {v for s in services for a in (s.name, *s.aliases) for v in name_variants(a) | {a.lower()}}
    built = {c.name for c in composed if c.has_build}
    out: dict[str, ComposeImage] = {}
    for c in composed:
        if c.image is None or c.name in built or c.name in out or (name_variants(c.name) | {c.name.lower()}) & known:
            continue
        repository = c.image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()
        if "$" not in repository and (name_variants(repository) | {repository}) & known:
            continue  # the image of a service of the repository, built by its own tooling (springcommunity/spring-petclinic-vets-service)
        stock = infrastructure_image(c.image)
        by = (builds or {}).get(repository) if stock is None else None  # (a broker's image with the repository's plugins stays the broker)
        own = by is not None and any(s.root == by[0] for s in services)
        base = _stock_infrastructure(_read(root, f"{by[0]}/Dockerfile")) if by is not None and not own and root is not None else None
        if by is not None and (own or base is not None):
            out[c.name] = ComposeImage(c.name, c.file, c.image, base, by)
            continue
        out[c.name] = ComposeImage(c.name, c.file, c.image, stock)
    return [out[n] for n in sorted(out)]


def _compose_proxies(composed: list[ComposeService], inv: Inventory) -> dict[str, tuple[str, str]]:
    """Folders holding a proxy's configuration (nginx, Envoy) and no source that a Docker Compose
    service mounts or builds (``volumes: [./gateways/envoy/web:/etc/envoy]``): folder → (the
    compose service's name, the reason). Such a proxy runs a stock image, so it has no manifest."""
    proxies = {_parent(f) for f in inv.proxy_configs}
    if not proxies:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for c in composed:
        for path in c.paths:
            folder = _parent(path) if path in inv.other_files else path
            if folder in proxies and not any(f.startswith(folder + "/") for f in inv.files):
                out.setdefault(folder, (c.name, f"a proxy: compose service {c.name} ({c.file}) runs it with its configuration, no source"))
    return out


def _matching(d: str, globs: tuple[str, ...]) -> str | None:
    return next((g for g in globs if fnmatch.fnmatch(d, g.rstrip("/"))), None)


def _included(files: list[str], config: Config) -> set[str]:
    """Folders ``inventory.include`` names (a folder without a manifest too)."""
    if not config.inventory_include:
        return set()
    dirs: set[str] = set()
    for f in files:
        d = _parent(f)
        while d != ".":
            dirs.add(d)
            d = _parent(d)
    return {d for d in dirs if _matching(d, config.inventory_include)}


def _read(root: Path, rel: str) -> str:
    try:
        return safeio.read_text(root / rel)
    except OSError:
        return ""


def _project_references(root: Path, files: list[str]) -> dict[str, list[str]]:
    """.NET project file name (lower case) → the folders of the projects that reference it; for a
    Maven module, ``maven:<artifactId>`` → the folders whose ``pom.xml`` depends on it."""
    out: dict[str, list[str]] = {}
    for rel in files:
        if rel.endswith(".csproj"):
            for ref in re.findall(r"<ProjectReference\s+Include=\"([^\"]+)\"", _read(root, rel)):
                out.setdefault(ref.replace("\\", "/").rsplit("/", 1)[-1].lower(), []).append(_parent(rel))
        elif rel.rsplit("/", 1)[-1] == "pom.xml":
            for dep in _POM_DEPENDENCY.findall(_POM_NOT_USED.sub("", _read(root, rel))):
                out.setdefault(f"maven:{dep}", []).append(_parent(rel))
    return out


_FROM = re.compile(r"(?im)^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)")


def _base_images(root: Path, inv: Inventory, builds: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Folders with no source whose image (``builds``) other Dockerfiles of the repository build
    FROM: folder → why it is a base image, not a service."""
    users: dict[str, set[str]] = {}
    for rel in inv.other_files:
        if rel.rsplit("/", 1)[-1] == "Dockerfile":
            for image in _FROM.findall(_read(root, rel)):
                by = builds.get(image_name(image))
                if by is not None and by[0] != _parent(rel):
                    users.setdefault(by[0], set()).add(_parent(rel))
    out = {}
    for folder, names in sorted(users.items()):
        if not any(f.startswith(folder + "/") for f in inv.files):
            image = next(n for n, by in builds.items() if by[0] == folder)
            out[folder] = f"a base image: {', '.join(sorted(names))} build FROM its image {image} ({builds[image][1]}), no source: not a service"
    return out


_POM_NOT_USED = re.compile(r"<(dependencyManagement|build|parent|profiles)>.*?</\1>|<!--.*?-->", re.S)
"""Parts of a ``pom.xml`` that name other artifacts without the module depending on them."""
_POM_DEPENDENCY = re.compile(r"<dependency>.*?<artifactId>\s*([\w.\-]+)\s*</artifactId>.*?</dependency>", re.S)
_JAVA_ENTRY = re.compile(r"\bstatic\s+void\s+main\s*\(|@SpringBootApplication\b|\bfun\s+main\s*\(")


def _maven_library(root: Path, d: str, text: str, sources: list[str], project_refs: dict[str, list[str]]) -> str | None:
    """Why a Maven module is a library (None: it is not one): it packages a jar (the default), has
    no entry point (``static void main``, ``@SpringBootApplication``) and other modules of the
    repository depend on it."""
    own = _POM_NOT_USED.sub("", text)
    own = re.sub(r"<dependencies>.*?</dependencies>", "", own, flags=re.S)
    artifact = re.search(r"<artifactId>\s*([\w.\-]+)\s*</artifactId>", own)
    packaging = re.search(r"<packaging>\s*(\w+)\s*</packaging>", own)
    if artifact is None or (packaging is not None and packaging.group(1) != "jar"):
        return None
    users = sorted({u for u in project_refs.get(f"maven:{artifact.group(1)}", []) if u != d})
    if not users or any(_JAVA_ENTRY.search(_read(root, f)) for f in sources if f.endswith((".java", ".kt"))):
        return None
    return f"a library (a Maven jar with no entry point), a dependency of {', '.join(users)}"


def _classify(
    root: Path,
    d: str,
    manifests: list[str],
    has_contracts: bool,
    inv: Inventory,
    config: Config,
    project_refs: dict[str, list[str]],
    deployed: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """(role, reason) of a folder with a manifest or a contracts/ folder."""
    shown = config.source or "configuration"
    glob = _matching(d, config.inventory_exclude)
    if glob is not None:
        return "excluded", f"inventory.exclude {glob!r} ({shown})"
    glob = _matching(d, config.inventory_include)
    if glob is not None:
        return "service", f"inventory.include {glob!r} ({shown})"
    if has_contracts:
        return "service", "a contracts/ folder"
    if _is_aggregator(root, d, manifests):
        return "workspace", f"a workspace manifest ({', '.join(manifests)}): its members are the services"
    parts = d.split("/")
    test_dir = next((p for p in parts if p.lower() in TEST_DIRS), None)
    if test_dir is not None:
        return "test", f"a test folder ({test_dir}/)"
    if parts[-1].lower().endswith(TEST_NAME_SUFFIXES):
        return "test", f"a test project's name ({parts[-1]})"
    projects = [m for m in manifests if m.endswith(".csproj")]
    texts = {m: _read(root, f"{d}/{m}") for m in manifests if m != "Dockerfile"}
    project_text = "\n".join(texts[m] for m in projects)
    marker = next((m for m in TEST_PROJECT_MARKERS if m in project_text), None)
    if marker is not None:
        return "test", f"a test project (references {marker.strip('<>')})"
    runner = _js_test_runner(texts.get("package.json", ""))
    if runner is not None:
        return "test", f"a test project (package.json: {runner} and no runtime dependencies)"
    client = _client_app(project_text, texts.get("package.json", ""))
    if client is not None:
        return "client", f"{client}: a client of the system, its calls are not a service's edges"
    if "Aspire.AppHost" in project_text or "IsAspireHost" in project_text:
        return "orchestrator", "a .NET Aspire app host: it starts the services, it is not one"
    if "IsAspireSharedProject" in project_text:
        return "shared-defaults", "a shared service-defaults project (IsAspireSharedProject), used by the services"
    sources = [f for f in inv.files if f.startswith(d + "/")]
    if projects and "Dockerfile" not in manifests and not _runnable(project_text, sources):
        users = sorted({u for p in projects for u in project_refs.get(p.lower(), []) if u != d})
        if users:
            return "library", f"a library (no entry point), referenced by {', '.join(users)}"
    library = _maven_library(root, d, texts["pom.xml"], sources, project_refs) if "pom.xml" in texts and "Dockerfile" not in manifests else None
    if library is not None:
        return "library", library
    if manifests == ["Dockerfile"] and sources:
        stock = _stock_infrastructure(_read(root, f"{d}/Dockerfile"))
        shown_files = ", ".join(f[len(d) + 1 :] for f in sources[:3]) + (", ..." if len(sources) > 3 else "")
        if stock in DATABASE_IMAGES:  # FROM mongo:3 with ADD ./dump /: scripts and data the database runs at start
            return "infrastructure", f"a stock {stock} image with its init scripts and data ({shown_files}), no manifest of a service: not a service"
        if stock in COLLECTOR_IMAGES:  # FROM fluentd with plugins/*.rb: code the collector loads
            return "infrastructure", f"a stock {stock} image ({COLLECTOR_IMAGES[stock]}) with its plugins and configuration ({shown_files}): not a service"
    script = _script_folder(texts.get("package.json", "")) if manifests == ["package.json"] and d not in deployed else None
    if script is not None and any(_SERVES.search(_read(root, f)) for f in sources[:200]):
        script = None  # http.createServer(...).listen(port): a server without a framework
    if script is not None:
        return "build", f"a script folder, not a service: {script}, no server framework, no Dockerfile and no Compose service builds it"
    go_files = [f for f in sources if f.endswith(".go")] if manifests == ["go.mod"] else []
    if go_files and all(_is_go_tools_file(_read(root, f)) for f in go_files):
        return "build", "a Go module pinning build tools (its Go files have the tools build tag), no service code"
    module = _GO_MODULE.search(_read(root, f"{d}/go.mod")) if manifests == ["go.mod"] and not sources else None
    if module is not None and module.group(1) == "_":
        return "build", "a Go module file named _ without Go code (bingo's, beside its tool pins), no service code"
    if manifests == ["Dockerfile"] and not sources:
        foreign = sorted(f.rsplit("/", 1)[-1] for f in inv.other_files if _parent(f) == d and f.rsplit("/", 1)[-1] in FOREIGN_MANIFESTS)
        if foreign:
            return "service", f"manifest: Dockerfile, {', '.join(foreign)} (a language that is not read: its calls are not seen)"
        proxy = next((f for f in inv.other_files if f.startswith(d + "/") and f in inv.proxy_configs), None)
        if proxy is not None:
            return "proxy", f"a proxy: Dockerfile and {proxy.rsplit('/', 1)[-1]}, no source"
        dockerfile = _read(root, f"{d}/Dockerfile")
        stock = _stock_infrastructure(dockerfile)
        if stock is not None:
            what = f" ({COLLECTOR_IMAGES[stock]})" if stock in COLLECTOR_IMAGES else ""
            return "infrastructure", f"a stock {stock} image{what} with its configuration (Dockerfile FROM {stock}), no source: not a service"
        arg = _parameterised(dockerfile)
        if arg is not None:
            return "build", f"a generic build folder: a Dockerfile parameterised by ARG {arg}, no source"
    return "service", f"manifest: {', '.join(manifests)}"


ASPIRE_YARP = re.compile(r'\bAddYarp\s*\(\s*"([^"]+)"')
"""A .NET Aspire YARP resource (``builder.AddYarp("mobile-bff")``): a proxy with no folder of its own."""


def _aspire_proxies(inv: Inventory, root: Path, hosts: list[str], taken: set[str]) -> list[Folder]:
    """The YARP resources the Aspire app hosts ``hosts`` add, each a proxy whose root is ``FILE#NAME``
    (its routes are read from the app host by ``environment.aspire``); not a name a service has."""
    out: dict[str, Folder] = {}
    for rel in inv.files:
        if rel.endswith(".cs") and _parent(rel) in hosts:
            for m in ASPIRE_YARP.finditer(_read(root, rel)):
                name = m.group(1)
                if name not in taken and name not in out:
                    reason = f'a .NET Aspire YARP resource (AddYarp("{name}") in {rel}): a proxy with no folder of its own, its routes read from the app host'
                    out[name] = Folder(f"{rel}#{name}", "proxy", reason, name)
    return [out[n] for n in sorted(out)]


JS_TEST_RUNNERS = ("cypress", "@playwright/test", "playwright", "puppeteer", "webdriverio", "nightwatch", "testcafe")
"""``package.json`` development dependencies of an end-to-end test project (``src/e2e``)."""


def _package_deps(package_json: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ``package.json``'s ``dependencies`` and ``devDependencies`` (empty when absent or not JSON)."""
    try:
        data = json.loads(package_json) if package_json else {}
    except ValueError:
        return {}, {}
    if not isinstance(data, dict):
        return {}, {}
    deps, dev = data.get("dependencies"), data.get("devDependencies")
    return (deps if isinstance(deps, dict) else {}), (dev if isinstance(dev, dict) else {})


SERVER_PACKAGES = (
    "express",
    "fastify",
    "koa",
    "@nestjs/core",
    "next",
    "nuxt",
    "@hapi/hapi",
    "hapi",
    "restify",
    "hono",
    "@remix-run/node",
    "@sveltejs/kit",
    "@grpc/grpc-js",
    "grpc",
    "socket.io",
    "ws",
    "apollo-server",
    "@apollo/server",
    "http-proxy",
    "kafkajs",
    "amqplib",
)
"""``package.json`` dependencies of a process that serves (or consumes) something: not a script folder."""
UI_PACKAGES = ("react", "vue", "svelte", "@angular/core", "preact", "solid-js", "lit", "vite")
"""A browser app's packages: such a folder is not a script folder (``_script_folder``)."""
_SERVES = re.compile(r"\bcreateServer\s*\(|\.listen\s*\(|\bDeno\.serve\b|\bBun\.serve\b")


def _script_folder(package_json: str) -> str | None:
    """What a ``package.json`` of scripts runs (None: it may be a service): it has ``scripts`` and
    depends on no server framework, broker client or UI framework (``_classify`` also wants no
    Dockerfile, no Compose service building it, and no source that listens)."""
    try:
        data = json.loads(package_json) if package_json else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    scripts = data.get("scripts")
    if not isinstance(scripts, dict) or not scripts or data.get("workspaces"):
        return None
    deps, dev = _package_deps(package_json)
    if any(p in deps or p in dev for p in SERVER_PACKAGES + UI_PACKAGES):
        return None
    shown = ", ".join(f"{k}: {v}" for k, v in list(scripts.items())[:2] if isinstance(v, str))
    return f"package.json runs scripts ({shown})"


def _js_test_runner(package_json: str) -> str | None:
    """The browser test runner a ``package.json`` with no runtime dependencies is built around (None: not such a project)."""
    deps, dev = _package_deps(package_json)
    return None if deps else next((r for r in JS_TEST_RUNNERS if r in dev), None)


def _client_app(project_text: str, package_json: str) -> str | None:
    """What client app a project is (None: not one): a .NET MAUI project, an Expo / React Native /
    Electron ``package.json``."""
    if re.search(r"<UseMaui>\s*true\s*</UseMaui>", project_text, re.IGNORECASE):
        return "a .NET MAUI app (UseMaui)"
    deps, _ = _package_deps(package_json)
    return next((f"{what} (package.json depends on {package})" for package, what in CLIENT_PACKAGES.items() if package in deps), None)


_GO_TOOLS_TAG = re.compile(r"(?m)^//\s*(go:build|\+build)\s+tools\s*$")


def _is_go_tools_file(text: str) -> bool:
    """A Go file that only pins tools: the ``tools`` build tag (``//go:build tools``)."""
    return bool(_GO_TOOLS_TAG.search(text))


def infrastructure_image(image: str) -> str | None:
    """The well-known database, broker, cache or telemetry image ``image`` names (``postgres:16``,
    ``ghcr.io/valkey-io/valkey:9``, ``mcr.microsoft.com/mssql/server:2022-latest``), None for another."""
    path = image.strip().split("@", 1)[0]
    parts = [p.lower() for p in path.split("/")]
    if parts:
        parts[-1] = parts[-1].split(":", 1)[0]
    for part in reversed(parts):
        if part in INFRASTRUCTURE_IMAGES:
            return part
        for name in sorted(INFRASTRUCTURE_IMAGES):  # cp-kafka, redis-stack, opentelemetry-collector-ebpf-profiler
            if len(name) > 3 and (name in part.split("-") or part.startswith(name + "-") or part.endswith("-" + name)):
                return name
    return None


def _stock_infrastructure(dockerfile: str) -> str | None:
    """The infrastructure image a Dockerfile with no source starts from (``FROM grafana/grafana:5``)."""
    images = re.findall(r"(?mi)^\s*FROM\s+(?:--\S+\s+)*(\S+)", dockerfile)
    return infrastructure_image(images[-1]) if images else None


def _runnable(project_text: str, sources: list[str]) -> bool:
    """A .NET project with an entry point: a web or worker SDK, an executable output, or a Program.cs."""
    if re.search(r"Sdk=\"Microsoft\.NET\.Sdk\.(Web|Worker|BlazorWebAssembly)\"", project_text) or re.search(r"<OutputType>\s*(Exe|WinExe)\s*<", project_text):
        return True
    return any(f.rsplit("/", 1)[-1] == "Program.cs" for f in sources)


def is_nginx_file(rel: str) -> bool:
    """An nginx configuration file by its name: ``nginx.conf``, or a ``.conf`` / ``.conf.template`` under a path naming nginx."""
    name = rel.rsplit("/", 1)[-1]
    return name == "nginx.conf" or (name.endswith((".conf", ".conf.template")) and "nginx" in rel.lower())


def is_envoy_file(rel: str) -> bool:
    """An Envoy configuration file: YAML under a path naming envoy (``envoy.yaml``, ``envoy/config.yaml``)."""
    return rel.lower().endswith((".yaml", ".yml")) and "envoy" in rel.lower()


NGINX_SUFFIXES = (".conf", ".template", ".tmpl", ".tpl", ".j2", ".nginx")
"""Names of files that may hold an nginx configuration anywhere (``web/default.conf.template``, which
``envsubst`` fills): their text decides (``is_nginx_text``)."""
SNIFF_BYTES = 262_144
_NGINX_BLOCK = re.compile(r"(?m)^[ \t]*(?:server|http|upstream[ \t]+[^\s{;]+|location[ \t]+[^{;\n]+)[ \t]*\{")
_NGINX_PROXY = re.compile(r"(?m)^[ \t]*proxy_pass[ \t]+[^;\s]+[ \t]*;")


def is_nginx_text(text: str) -> bool:
    """An nginx configuration by its text: a ``server`` / ``http`` / ``upstream NAME`` / ``location
    PATH`` block opened at the start of a line, and a ``proxy_pass ADDRESS;`` directive."""
    return bool(_NGINX_PROXY.search(text)) and bool(_NGINX_BLOCK.search(text))


def proxy_configs(root: Path, other_files: Iterable[str]) -> dict[str, str]:
    """The proxy configuration files of the repository → the proxy (``nginx``, ``envoy``): by name
    (``is_nginx_file``, ``is_envoy_file``), or, for a file whose name may be an nginx
    configuration's (``NGINX_SUFFIXES``), by its text (``is_nginx_text``; up to ``SNIFF_BYTES``): each read once."""
    out: dict[str, str] = {}
    for rel in other_files:
        if is_envoy_file(rel):
            out[rel] = "envoy"
        elif is_nginx_file(rel):
            out[rel] = "nginx"
        elif rel.endswith(NGINX_SUFFIXES):
            try:
                text = safeio.read_text(root / rel, limit=SNIFF_BYTES)
            except OSError:  # unreadable, or too large to be a hand-written configuration
                continue
            if is_nginx_text(text):
                out[rel] = "nginx"
    return out


def _parameterised(dockerfile: str) -> str | None:
    """The ARG a Dockerfile builds its source path or base from (``COPY ${SERVICE} .``), if any."""
    for arg in _DOCKER_ARG.findall(dockerfile):
        if arg in BUILDKIT_ARGS:
            continue
        if re.search(r"(?m)^\s*(COPY|ADD|FROM|WORKDIR)\b[^\n]*\$\{?" + re.escape(arg) + r"\b", dockerfile):
            return arg
    return None


GENERIC_DIRS = frozenset({"src", "source", "app", "main", "server", "service", "api", "backend", "code", "project"})
TEST_DIRS = frozenset({"test", "tests", "unittests", "integrationtests"})


def is_test_source(rel: str) -> bool:
    """Whether file ``rel`` is in a build's test source set (Maven's and Gradle's ``src/test/``, at
    any depth): test code and resources, which the packaged service does not hold."""
    return "/src/test/" in f"/{rel}"


def _dir_name(root: Path, rel_dir: str, roots: list[str]) -> str:
    """A service's name from its directory. A generic folder name (``src/cartservice/src``) takes
    its parent's name when no sibling folder is another service (``apps/api`` beside ``apps/web``
    keeps ``api``); a test project beside it (``src/cartservice/tests``) is ``cartservice-tests``."""
    parts = [root.name] + ([] if rel_dir == "." else rel_dir.split("/"))
    name = parts[-1]
    if len(parts) < 2 or name.lower() not in GENERIC_DIRS | TEST_DIRS:
        return name
    if name.lower() in TEST_DIRS:
        return f"{parts[-2]}-{name}"
    parent = rel_dir.rsplit("/", 1)[0] if "/" in rel_dir else "."
    siblings = [r.rsplit("/", 1)[-1] for r in roots if r != rel_dir and (r.rsplit("/", 1)[0] if "/" in r else ".") == parent]
    if any(sib.lower() not in TEST_DIRS for sib in siblings):
        return name
    return parts[-2]


def service_files(rels: Iterable[str], roots: list[str], by_root: dict[str, str]) -> Iterator[tuple[str, str]]:
    """``(rel, service)`` for each of ``rels`` (in their order) that a service's root holds."""
    for rel in rels:
        owner = owner_of(rel, roots)
        service = by_root.get(owner) if owner is not None else None
        if service is not None:
            yield rel, service


def owner_of(rel: str, roots: list[str]) -> str | None:
    """The deepest service root containing ``rel``."""
    best: str | None = None
    for r in roots:
        if r == "." or rel == r or rel.startswith(r + "/"):
            if best is None or best == "." or (r != "." and len(r) > len(best)):
                best = r
    return best
