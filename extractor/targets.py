"""Which service of the monorepo a call goes to.

Evidence, strongest first: a URL or address whose host is a service's name or alias (also the
Kubernetes DNS forms ``risk.ns.svc.cluster.local``), a compose/Kubernetes service whose build
context or name maps to a service, an environment variable whose value (in compose or a
Kubernetes manifest, then in the calling service's ``.env`` files or the compose service's
``env_file:``) or whose default in code names a service, and finally the variable's own name
(``RISK_SERVICE_URL`` → risk). The files are read by ``extractor.environment`` into an
``AddressBook``; this module decides, per call, which service its address names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .environment.appsettings import CONFIG_FILES
from .environment.book import AddressBook
from .environment.dotenv import ENV_FILES
from .environment.svcconfig import is_config_file
from .values import Concat, Const, Env, Named, Value, describe, strip, walk

if TYPE_CHECKING:
    from .facts import Fact

_AUTHORITY_PORT = re.compile(r"^([a-z][a-z0-9+.\-]*://[A-Za-z0-9_.\-]+:[0-9]+)\{")
_HOSTPORT = re.compile(r"^(?:dns:///?|ipv4:|unix:)?(?P<host>[A-Za-z0-9_.\-]+)(?::(?P<port>[0-9]+))?(?P<rest>/.*)?$")


@dataclass(frozen=True, slots=True)
class Target:
    service: str | None
    host: str | None = None
    port: int | None = None
    via: str = "unknown"
    expr: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "host": self.host, "port": self.port, "via": self.via, "expr": self.expr}


def host_port(text: str) -> tuple[str | None, int | None]:
    """Host and port of a URL (``http://risk:8080/x``) or an address (``risk:50051``)."""
    text = text.strip()
    if text.startswith("dns:"):  # gRPC names: dns:host:port, dns:///host:port, dns://authority/host:port
        rest = text[4:]
        if rest.startswith("//"):
            rest = rest[2:].partition("/")[2]
        text = rest
    if "://" in text:
        known = _AUTHORITY_PORT.match(text)  # http://orders:8080{path}: an unknown part after the port is the path
        text = known.group(1) if known else text
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
        if m.group("rest") and not m.group("port"):
            return None, None  # a relative URL (api/catalog/items): a path, never a host
        return m.group("host"), int(m.group("port")) if m.group("port") else None
    return None, None


def leading_text(v: Value | None) -> tuple[str | None, list[str], list[str]]:
    """The literal beginning of a URL value (env defaults filled in), and the env vars / constants it uses."""
    if v is None:
        return None, [], []
    envs: list[str] = []
    consts: list[str] = []
    parts: list[Value] = list(sv.parts) if isinstance(sv := strip(v), Concat) else [v]
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
        elif isinstance(s, Env) and s.default is not None and isinstance(d := strip(s.default), Const):
            text += str(d.value)
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


def grpc_servers(facts: list[Fact]) -> dict[str, set[str]]:
    """gRPC service name (its last dotted part: ``hipstershop.CartService`` is ``CartService``) →
    the services of the scan whose ``endpoint`` facts (framework grpc, ``Service/Method``) serve it."""
    out: dict[str, set[str]] = {}
    for f in facts:
        path = f.fields.get("path") if f.kind == "endpoint" and f.fields.get("framework") == "grpc" else None
        if f.service is not None and isinstance(path, str) and "/" in path:
            out.setdefault(_grpc_name(path.split("/", 1)[0]), set()).add(f.service)
    return out


def _grpc_name(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def resolve_grpc_servers(facts: list[Fact]) -> None:
    """A ``grpc_call`` whose address is not known (or only guessed from the client's name) goes to
    the one service of the scan that serves its gRPC service (``target.via: grpc_service``); when
    two services serve it, it stays as it was. Derived facts copy the target afterwards."""
    servers = grpc_servers(facts)
    if not servers:
        return
    for f in facts:
        target = f.fields.get("target") if f.kind == "grpc_call" else None
        name = f.fields.get("grpc_service")
        if not isinstance(target, dict) or not isinstance(name, str) or target.get("via") not in ("unknown", "grpc_stub"):
            continue
        serving = sorted(servers.get(_grpc_name(name), set()) - {f.service})
        if len(serving) == 1 and target.get("service") != serving[0]:
            f.fields["target"] = {**target, "service": serving[0], "via": "grpc_service"}
