"""Java packages and prefilter words: the light part of the Java frontend (no engine import), so
that compiling the Java rules of a scan that meets no Java file costs nothing more."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from ...safeio import is_file_inside

_PACKAGE_RE = re.compile(rb"^\s*package\s+([A-Za-z_][\w.]*)\s*;", re.M)


def words_of(name: str) -> set[str]:
    """The simple class name in a qualified name (``java.net.http.HttpClient.send`` →
    ``HttpClient``): a file using it spells it, whatever its imports (``java.net.http.*``)."""
    for part in name.split("."):
        if part[:1].isupper():
            return set() if any(c in part for c in "*?[") or len(part) < 2 else {part}
    head = name.rsplit(".", 1)[-1]
    return set() if any(c in head for c in "*?[") or len(head) < 2 else {head}


def _package_of(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16384)
    except OSError:
        return ""
    head = re.sub(rb"/\*.*?\*/", b"", head, flags=re.S)
    m = _PACKAGE_RE.search(head)
    return m.group(1).decode() if m else ""


def module_path(root: Any, rel: str) -> str:
    """A Java file's module: its package and its class (``com.acme.Settings`` for
    ``src/main/java/com/acme/Settings.java``), so that ``Settings.RISK_URL`` of another file
    resolves against this file's exports at link time."""
    stem = Path(rel).stem
    package = _package_of(str(Path(root) / rel))
    return f"{package}.{stem}" if package else stem


_SKIP_DIRS = frozenset({"node_modules", "build", "target", "out", "bin", "obj", "test", "tests"})
_SOURCE_ROOT_RE = re.compile(r"^(.*?/(?:java|kotlin)/|(?:.*/)?src/)")  # src/main/java/, else src/
BEAN_WORD = b"@Bean"  # a prefilter word only: which annotations make beans is the rules' data (options: bean_annotations)
PROPERTIES_WORD = b"@ConfigurationProperties"  # the same for options: properties_annotations (a class other files receive)
_NEW_RE = re.compile(rb"\bnew\s+([A-Z]\w*)\s*(?:<[^;{}()]*>)?\s*\(")  # the classes a Java file constructs
_IMPORT_RE = re.compile(rb"^\s*import\s+([A-Za-z_][\w.]*)\s*;", re.M)  # single-type imports
# a file whose methods' signatures other files' calls are typed by (java.py's $$ret. / $$fn. exports):
# a java.util.function parameter, or a declared return type imported from a library (not java.*)
_SIGNATURE_RE = re.compile(rb"\bjava\.util\.function\.|^\s*import\s+(?!java\.)[\w.]+\.(\w+)\s*;", re.M)
_RETURN_TYPE_RE = re.compile(rb"\b([A-Z]\w*)(?:<[^;{}()]*>)?\s+[a-z]\w*\s*\([^;{}]*\)\s*(?:throws\s+[\w.,\s]+)?\{")
# the classes of its own package a file may call or type with: a static call's class, a declared type
_CLASS_WORD_RE = re.compile(rb"\b([A-Z]\w*)(?:\s*\.\s*[a-z]\w*\s*\(|(?:<[^;{}()]*>)?\s+[a-z_]\w*\s*[,);=])")
# the types a class or interface extends or implements (``interface PaymentClient extends PaymentOperations {``)
_HEADER_RE = re.compile(rb"\b(?:class|interface|record|enum)\s+[A-Za-z_]\w*([^;{}]*)\{")
_SUPERS_RE = re.compile(rb"\b(?:extends|implements)\s+([\w.\s,]+?)\s*(?=$|\bimplements\b|\bpermits\b)")
_GENERIC_RE = re.compile(rb"<[^<>]*>")


@functools.lru_cache(maxsize=8)
def _bean_modules(root: str, suffix: str) -> dict[str, tuple[str, ...]]:
    """Source root (``gateway/src/main/java/``) → the modules of its files (``.java`` or ``.kt``)
    that mention a bean annotation, and each file's module → its source roots (key ``=module``).
    A Java file's module is its path under the source root (the package mirrors the folders), a
    Kotlin file's its package (``kotlin_package``). Each file's text is read once (``linked_text``)."""
    found: dict[str, list[str]] = {}
    uses: dict[str, tuple[str, set[bytes]]] = {}  # a Java file's module → (its source root, the classes it imports or names)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith(suffix):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
            m = _SOURCE_ROOT_RE.match(rel)
            if m is None:
                continue
            src = m.group(1)
            if not is_file_inside(Path(root), Path(dirpath, name)):  # a link out of the scan root is not read
                continue
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    text = fh.read(262144)
            except OSError:
                continue
            beans, news, package, used, signs, supers = linked_text(text)
            if suffix == ".java":
                module = rel[len(src) : -len(suffix)].replace("/", ".")
            else:
                module = package or rel.rpartition("/")[0].replace("/", ".")
            if src not in found.get("=" + module, ()):
                found.setdefault("=" + module, []).append(src)
            if beans and module not in found.get(src, ()):
                found.setdefault(src, []).append(module)
            if suffix == ".java":  # "+<root><Class>": the modules constructing a class of that name
                for cls in news:
                    found.setdefault(f"+{src}{cls.decode()}", []).append(module)
                uses[module] = (src, set(used))
                for sup in supers:  # "<<Type>": the modules extending or implementing that type, in any source root
                    found.setdefault("<" + sup, []).append(module)
                    found.setdefault(">" + module, []).append(sup)  # ">module": the types it extends or implements
                if signs:
                    found.setdefault("$" + src, []).append(module)
    signed = {k[1:]: set(v) for k, v in found.items() if k.startswith("$")}
    for module, (src, names) in sorted(
        uses.items()
    ):  # "^<module>": the modules of its root whose classes it imports or (same package) names and whose signatures may type its calls
        package = module.rpartition(".")[0]
        for word in sorted(names):
            other = word.decode() if b"." in word else f"{package}.{word.decode()}" if package else word.decode()
            if other != module and (other in signed.get(src, ()) or (b"." in word and any(other in mods for mods in signed.values()))):
                found.setdefault("^" + module, []).append(other)  # (an import's class: of any source root, a library module of the repository)
    for key in sorted(k for k in found if k.startswith("<") and "." in k):  # "~<package>": the modules extending a type of that package
        found.setdefault("~" + key[1:].rpartition(".")[0], []).extend(found[key])
    return {k: tuple(v) for k, v in found.items()}


def supers_of(text: bytes) -> tuple[str, ...]:
    """The qualified names of the types a file's classes and interfaces extend or implement: a
    dotted name as written, a simple one through the file's single-type imports, else of the
    file's own package."""
    found: list[bytes] = []
    for h in _HEADER_RE.finditer(text):
        header = h.group(1)
        while b"<" in header and _GENERIC_RE.search(header):  # type parameters and arguments
            header = _GENERIC_RE.sub(b"", header)
        header = re.sub(rb"\([^()]*\)", b"", header)  # a record's components
        for m in _SUPERS_RE.finditer(header):
            found.extend(n for part in m.group(1).split(b",") if (n := b"".join(part.split())))
    if not found:
        return ()
    imports = {q.rpartition(b".")[2]: q for q in _IMPORT_RE.findall(text)}
    pm = _PACKAGE_RE.search(text[:16384])
    package = pm.group(1) + b"." if pm else b""
    out = {(n if b"." in n else imports.get(n, package + n)).decode() for n in found}
    return tuple(sorted(out))


def _signatures(text: bytes) -> bool:
    """Whether a file may type other files' calls (``_SIGNATURE_RE``): a ``java.util.function``
    parameter, or a method returning a type the file imports from a library."""
    libraries = set()
    for m in _SIGNATURE_RE.finditer(text):
        if m.group(1) is None:
            return True
        libraries.add(m.group(1))
    return bool(libraries) and any(m.group(1) in libraries for m in _RETURN_TYPE_RE.finditer(text))


Reads = tuple[bool, tuple[bytes, ...], str, tuple[bytes, ...], bool, tuple[str, ...]]
_READ: dict[bytes, Reads] = {}
"""``linked_text`` by the digest of the text read: the scan asks it of each file, then ``_bean_modules`` reads the same files."""


def linked_text(data: bytes) -> Reads:
    """What ``_bean_modules`` reads of a file's text (the scan records it, so that a re-scan after a
    change of it runs the passes that used the index): whether it mentions a bean annotation, the
    classes it constructs, (a Kotlin file's module) its package, and the classes it imports or
    calls and types with (``_CLASS_WORD_RE``), whether its signatures may type others' calls, the
    types it extends or implements."""
    text = data[:262144]
    key = hashlib.blake2b(text, digest_size=16).digest()
    found = _READ.get(key)
    if found is None:
        found = _READ[key] = _reads(text)
    return found


def _reads(text: bytes) -> Reads:
    """``linked_text``, computed."""
    from .kotlin_package import package_of

    uses = tuple(sorted(set(_IMPORT_RE.findall(text)) | set(_CLASS_WORD_RE.findall(text))))
    return (
        BEAN_WORD in text or PROPERTIES_WORD in text,
        tuple(sorted(set(_NEW_RE.findall(text)))),
        package_of(text[:16384]),
        uses,
        _signatures(text),
        supers_of(text),
    )


def forget() -> None:
    """Drop the indexes of the scan roots read so far (the next scan reads its tree as it is now)."""
    _bean_modules.cache_clear()
    _READ.clear()


def linked_modules(root: Any, module: str, suffix: str = ".java") -> tuple[str, ...]:
    """The modules whose registrations (exports named ``$...``) a file of ``module`` sees: those of
    its source root that declare beans (a Spring application context injects them into any class
    of the service; test sources are another root), then those that construct its class
    (``new CartHelper(url)``: the constructor's arguments, ``$$new.*``), then, in any source root,
    those extending or implementing its class (``$$extends.*``: a declarative client extending an
    interface of an API module) or a type of the scan it extends (``$$implemented.*``: a fallback
    bean implementing the interface a client extends)."""
    found = _bean_modules(str(root), suffix)
    out: list[str] = []
    stem = module.rpartition(".")[2]
    for src in found.get("=" + module, ()):
        out.extend(m for m in found.get(src, ()) if m != module and m not in out)
    for src in found.get("=" + module, ()):
        out.extend(m for m in found.get(f"+{src}{stem}", ()) if m != module and m not in out)
    out.extend(m for m in found.get("^" + module, ()) if m not in out)  # the classes it uses: their methods' signatures ($$ret., $$fn.)
    if suffix == ".kt":  # a Kotlin package: the Java classes extending one of its types ($$extends.)
        out.extend(m for m in _bean_modules(str(root), ".java").get("~" + module, ()) if m not in out)
    out.extend(m for m in found.get("<" + module, ()) if m != module and m not in out)  # the classes extending its own ($$extends.)
    for sup in found.get(">" + module, ()):  # and those implementing a type of the scan it extends ($$implemented.: a fallback bean)
        if "=" + sup in found:
            out.extend(m for m in found.get("<" + sup, ()) if m != module and m not in out)
    return tuple(out)
