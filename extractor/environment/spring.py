"""Spring configuration files (``application.yml`` / ``.properties`` and their profiles) read into
the address book; the keys, placeholders and relaxed binding are in ``svcconfig``.

A Spring Cloud Config Server of the repository serves files to other services: with the
``native`` profile, ``spring.cloud.config.server.native.search-locations`` (``classpath:/shared``,
``file:./config``) names folders whose ``<name>.yml`` is the configuration of the service whose
``spring.application.name`` is ``<name>`` and whose ``application.yml`` is every client's. A client
is a service whose own configuration points at a Config Server (``spring.cloud.config.uri``, or
``spring.config.import: configserver:...``). Those files belong to their clients, not to the
server: their values come before the client's own files (the served properties override the local
ones, as Spring Cloud Config does), the specific file before the shared ``application.yml``.
Profile-specific served files (``<name>-prod.yml``), a ``git`` backend and ``{application}``
placeholders in the locations are not read.

Library defaults that depend on the classpath are recorded as configuration keys under
``$library_default.`` (``svcconfig.LIBRARY_DEFAULT_PREFIX``): a rule lists such a key after the
real ones, and its value is reported with ``timeout_source: library_default``. Spring Cloud
Netflix Ribbon (the ``spring-cloud-starter-netflix-ribbon`` / ``-eureka-client`` / ``-zuul``
starters on Spring Boot before 2.4, the last Spring Cloud release with Ribbon) gives every
load-balanced client a 1 s connect and a 1 s read timeout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .. import safeio
from ..discover import is_test_source, service_files
from .book import AddressBook
from .svcconfig import LIBRARY_DEFAULT_PREFIX, canonical, config_file_rank, is_config_file, read_config_file

SERVED_SUFFIXES = (".yml", ".yaml", ".properties")
RIBBON_DEFAULTS = {
    "ribbon.ReadTimeout": "1000",
    "ribbon.ConnectTimeout": "1000",
    "ribbon.MaxAutoRetries": "0",
    "ribbon.MaxAutoRetriesNextServer": "1",
    "ribbon.OkToRetryOnAllOperations": "false",
}
"""Ribbon's ``RibbonClientConfiguration`` timeouts (``DEFAULT_READ_TIMEOUT``, ``DEFAULT_CONNECT_TIMEOUT``)
and ``DefaultClientConfigImpl``'s retry settings (``DEFAULT_MAX_AUTO_RETRIES``,
``DEFAULT_MAX_AUTO_RETRIES_NEXT_SERVER``, ``DEFAULT_OK_TO_RETRY_ON_ALL_OPERATIONS``)."""
SPRING_RETRY_KEY = "spring-retry"
"""``$library_default.spring-retry``: ``true`` when the build names Spring Retry, under which Spring
Cloud Netflix retries load-balanced calls with ``RibbonLoadBalancedRetryPolicy`` (GETs only)."""
_SPRING_RETRY = re.compile(r"<artifactId>\s*spring-retry\s*</artifactId>|org\.springframework\.retry:spring-retry\b")
_NETFLIX_RIBBON = re.compile(r"spring-cloud-starter-netflix-(ribbon|eureka-client|zuul)\b")
_BOOT_VERSION = re.compile(r"<artifactId>\s*spring-boot-starter-parent\s*</artifactId>\s*<version>\s*(\d+)\.(\d+)")
_GRADLE_BOOT = re.compile(r"org\.springframework\.boot['\"]?\s*\)?\s*version\s*['\"](\d+)\.(\d+)")
_TRAIN = re.compile(r"<spring-cloud\.version>\s*([A-Za-z]+|\d{4})|springCloudVersion\W+([A-Za-z]+|\d{4})")
_PARENT = re.compile(r"<parent>.*?</parent>", re.S)
_RELATIVE = re.compile(r"<relativePath>([^<]*)</relativePath>|<relativePath\s*/>")


def read_spring_config(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> dict[str, list[str]]:
    """A service's Spring configuration files (``application.yml`` / ``.properties``, then the
    profile files; not a build's test resources, ``src/test/``, which the packaged service does not
    hold) as dotted keys (``risk.url``): what ``@Value``
    placeholders and configuration keys of rules (``svcconfig``) read; values the deployment gives in
    their environment spelling (``RISK_URL``) are looked up first, as Spring does. Returns the files
    a Config Server serves (module docstring): file → the services it configures (maybe none)."""
    files = list(other_files)
    found = sorted((rel for rel in files if is_config_file(rel) and not is_test_source(rel)), key=config_file_rank)  # test resources are not packaged
    own: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for rel, service in service_files(found, roots, by_root):
        try:
            text = safeio.read_text(root / rel)
        except OSError:
            continue
        own.setdefault(service, []).append((rel, read_config_file(rel, text)))
    served = served_files(root, own, files, roots, by_root)
    given: dict[str, list[str]] = {}
    for rel, clients in sorted(served.items()):
        for client in clients:
            given.setdefault(client, []).append(rel)
    for rels in given.values():
        rels.sort(key=lambda r: (r.rsplit("/", 1)[-1].rsplit(".", 1)[0] == "application", r))  # the service's own file first
    for service in sorted(set(own) | set(given) | set(by_root.values())):
        for rel in given.get(service, []):  # served files first: they override the client's own
            try:
                values = read_config_file(rel, safeio.read_text(root / rel))
            except OSError:
                continue
            _put(book, service, rel, values)
        for rel, values in own.get(service, []):
            if rel in served:
                continue  # a file the server serves is its clients' configuration, not its own
            _put(book, service, rel, values)
            for k, v in values.items():
                if canonical(k) == "spring.application.name" and v and "${" not in v and "/test/" not in f"/{rel}":
                    book.add_alias(v, service)  # the name Spring Cloud discovery and load balancing address it by (lb://risk)
        _classpath_defaults(book, root, service, by_root)
    return served


def _put(book: AddressBook, service: str, rel: str, values: dict[str, str]) -> None:
    env = book.env_by_service.setdefault(service, {})
    for k, v in values.items():
        env.setdefault(k, v)
        book.env_sources.setdefault((service, k), rel)


def _app_name(files: list[tuple[str, dict[str, str]]]) -> str | None:
    for rel, values in files:
        if "/test/" in f"/{rel}":
            continue
        for k, v in values.items():
            if canonical(k) == "spring.application.name" and v and "${" not in v:
                return v
    return None


def _setting(files: list[tuple[str, dict[str, str]]], key: str) -> str | None:
    want = canonical(key)
    for rel, values in files:
        if "/test/" in f"/{rel}":
            continue
        for k, v in values.items():
            if canonical(k) == want:
                return v
    return None


def _locations(server_root: str, text: str) -> list[str]:
    """``classpath:/shared, file:./config`` → folders relative to the repository root."""
    out: list[str] = []
    for loc in (s.strip() for s in text.split(",")):
        if loc.startswith("classpath:"):
            base, path = "src/main/resources", loc[len("classpath:") :]
        elif loc.startswith("file:"):
            base, path = "", loc[len("file:") :]
        else:
            continue
        if "{" in path or (path.startswith("/") and loc.startswith("file:")):
            continue  # a placeholder per application, or an absolute path of the server's machine
        parts = [p for p in f"{server_root}/{base}/{path}".split("/") if p not in ("", ".")]
        out.append(str(PurePosixPath(*parts)) if parts else ".")
    return out


def served_files(
    root: Path, own: dict[str, list[tuple[str, dict[str, str]]]], files: list[str], roots: list[str], by_root: dict[str, str]
) -> dict[str, list[str]]:
    """The files each Config Server (native profile) of the repository serves: file → clients."""
    root_of = {name: r for r, name in by_root.items()}
    servers: dict[str, list[str]] = {}
    for service, configs in sorted(own.items()):
        where = _setting(configs, "spring.cloud.config.server.native.search-locations")
        if where:
            servers[service] = _locations(root_of.get(service, "."), where)
    if not servers:
        return {}
    in_location: dict[str, list[str]] = {}  # folder → its files
    folders = {f for locs in servers.values() for f in locs}
    for rel in files:
        parent = rel.rsplit("/", 1)[0] if "/" in rel else "."
        if parent in folders and rel.endswith(SERVED_SUFFIXES):
            in_location.setdefault(parent, []).append(rel)
    out: dict[str, list[str]] = {rel: [] for rels in in_location.values() for rel in rels}
    names = {s: n for s, c in own.items() if (n := _app_name(c)) is not None}
    for client, configs in sorted(own.items()):
        if client in servers:
            continue
        server = _server_of(configs, servers, names)
        name = names.get(client)
        if server is None or name is None:
            continue
        for folder in servers[server]:
            for stem in (name, "application"):
                for rel in sorted(in_location.get(folder, [])):
                    if rel.rsplit("/", 1)[-1].rsplit(".", 1)[0] == stem:
                        out[rel].append(client)
    return out


def _server_of(configs: list[tuple[str, dict[str, str]]], servers: dict[str, list[str]], names: dict[str, str]) -> str | None:
    """The Config Server a client's ``spring.cloud.config.uri`` (or ``spring.config.import:
    configserver:URL``) names, by host; the only one when the host names none."""
    uri = _setting(configs, "spring.cloud.config.uri")
    imported = _setting(configs, "spring.config.import") or ""
    if uri is None and "configserver:" in imported:
        uri = imported.split("configserver:", 1)[1].split(",")[0]
    if uri is None:
        return None
    m = re.match(r"\s*(?:[a-z]+://)?([^/:,\s]+)", uri)
    host = m.group(1).lower() if m else ""
    for server in sorted(servers):
        if host in (server.lower(), (names.get(server) or "").lower()):
            return server
    return next(iter(servers)) if len(servers) == 1 else None


def _build_text(root: Path, folder: str) -> str:
    """The service's build files, with the Maven parents they name by ``relativePath`` (default
    ``../pom.xml``) inside the repository, nearest first."""
    text = ""
    for manifest in ("build.gradle", "build.gradle.kts"):
        try:
            text += safeio.read_text(root / folder / manifest)
        except OSError:
            continue
    pom = PurePosixPath(folder, "pom.xml")
    for _ in range(4):
        try:
            body = safeio.read_text(root / pom)
        except OSError:
            break
        text += body
        parent = _PARENT.search(body)
        if parent is None or "spring-boot-starter-parent" in parent.group(0):
            break
        rel = _RELATIVE.search(parent.group(0))
        step = (rel.group(1) or "").strip() if rel else "../pom.xml"
        if not step:
            break
        nxt = PurePosixPath(pom.parent, step)
        pom = nxt if nxt.suffix == ".xml" else nxt / "pom.xml"
        parts: list[str] = []
        for part in pom.parts:
            if part == "..":
                if not parts:
                    return text
                parts.pop()
            elif part != ".":
                parts.append(part)
        pom = PurePosixPath(*parts)
    return text


def _ribbon_on_classpath(text: str) -> bool:
    """Whether the build puts Spring Cloud Netflix Ribbon on the classpath: a Netflix starter that
    brings it on a release train before 2020.0 (told by the train's name or Spring Boot before 2.4)."""
    if not _NETFLIX_RIBBON.search(text):
        return False
    train = _TRAIN.search(text)
    if train is not None:
        return not (train.group(1) or train.group(2))[0].isdigit()
    boot = _BOOT_VERSION.search(text) or _GRADLE_BOOT.search(text)
    if boot is not None:
        return (int(boot.group(1)), int(boot.group(2))) < (2, 4)
    return "netflix-ribbon" in text  # a Netflix starter of unknown age: Ribbon only when named


def _classpath_defaults(book: AddressBook, root: Path, service: str, by_root: dict[str, str]) -> None:
    """Library defaults of what the service's build file puts on the classpath (module docstring)."""
    folder = next((r for r, n in sorted(by_root.items()) if n == service), None)
    build = _build_text(root, folder) if folder is not None else ""
    if folder is None or not _ribbon_on_classpath(build):
        return
    where = str(PurePosixPath(folder, "pom.xml"))
    env = book.env_by_service.setdefault(service, {})
    for key, value in {**RIBBON_DEFAULTS, SPRING_RETRY_KEY: "true" if _SPRING_RETRY.search(build) else "false"}.items():
        k = LIBRARY_DEFAULT_PREFIX + key
        env.setdefault(k, value)
        book.env_sources.setdefault((service, k), where)
