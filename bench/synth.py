"""A synthetic polyglot monorepo of N services, the same for the same N and seed.

    .venv/bin/python bench/synth.py OUT --services 50 [--seed 7]

Service ``i`` is a copy of one of the six services of ``fixtures/monorepos/polyglot-shop``
(Python, Go, Java, Kotlin, TypeScript, C#, in turn), named ``svcNNNN-<name>`` (its manifest renamed
too), with 2 to 6 generated helper files of its language beside its sources (plain functions:
arithmetic, loops, calls to each other; no outbound call), and one ``docker-compose.yml`` that
points each service's downstream addresses at services of the right kind chosen with the seed.
The outbound calls, timeouts and retries are those of the sample, so the facts grow with N; the
helpers make the files and lines of a service vary as in real code. Used by bench/scenarios.py to
show that a scan's cost grows linearly with the size of the repository.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "fixtures" / "monorepos" / "polyglot-shop"

# (folder of the sample, language of its helpers, folder of its sources, manifest file)
TEMPLATES = (
    ("pricing", "python", "pricing", "pyproject.toml"),
    ("inventory", "go", ".", "go.mod"),
    ("orders", "java", "src/main/java/com/shop/orders", "pom.xml"),
    ("loyalty", "kotlin", "src/main/kotlin/com/shop/loyalty", "settings.gradle.kts"),
    ("storefront", "typescript", "src", "package.json"),
    ("payments", "csharp", ".", "Payments.csproj"),
)
# the downstream address each sample service reads, and the kind of service it names
DOWNSTREAM = {
    "ORDERS_URL": ("orders", "http://{}:8080"),
    "INVENTORY_ADDR": ("inventory", "{}:50051"),
    "INVENTORY_URL": ("inventory", "http://{}:8081"),
    "PAYMENTS_URL": ("payments", "http://{}:8080"),
    "PRICING_URL": ("pricing", "http://{}:8000"),
}
USES = {
    "storefront": ("ORDERS_URL", "INVENTORY_ADDR", "PAYMENTS_URL"),
    "orders": ("PRICING_URL",),
    "pricing": ("INVENTORY_URL",),
    "loyalty": ("PRICING_URL", "INVENTORY_URL"),
}
# a helper function of each language (a loop of arithmetic, calling the previous function), the
# call, the file's head (package, class) and what joins the functions
HELPERS = {
    "python": (
        "def {name}(x):\n    total = {a}\n    for i in range({loops}):\n        total = (total * {b} + x + i) % 1009\n{call}    return total\n",
        "        total += {callee}(i)\n",
        "",
        "\n\n",
    ),
    "go": (
        "func {name}(x int) int {{\n\ttotal := {a}\n\tfor i := 0; i < {loops}; i++ {{\n\t\ttotal = (total*{b} + x + i) % 1009\n{call}\t}}\n\treturn total\n}}\n",
        "\t\ttotal += {callee}(i)\n",
        "package main\n\n",
        "\n",
    ),
    "kotlin": (
        "fun {name}(x: Int): Int {{\n    var total = {a}\n    for (i in 0 until {loops}) {{\n        total = (total * {b} + x + i) % 1009\n{call}    }}\n    return total\n}}\n",
        "        total += {callee}(i)\n",
        "package com.shop.loyalty\n\n",
        "\n",
    ),
    "typescript": (
        "export function {name}(x: number): number {{\n  let total = {a};\n  for (let i = 0; i < {loops}; i++) {{\n    total = (total * {b} + x + i) % 1009;\n{call}  }}\n  return total;\n}}\n",
        "    total += {callee}(i);\n",
        "",
        "\n\n",
    ),
    "java": (
        STATIC_METHOD
        := "    public static int {name}(int x) {{\n        int total = {a};\n        for (int i = 0; i < {loops}; i++) {{\n            total = (total * {b} + x + i) % 1009;\n{call}        }}\n        return total;\n    }}\n",
        "            total += {callee}(i);\n",
        "package com.shop.orders;\n\npublic final class {cls} {{\n",
        "\n",
    ),
    "csharp": (STATIC_METHOD, "            total += {callee}(i);\n", "namespace Payments;\n\npublic static class {cls}\n{{\n", "\n"),
}
EXTENSIONS = {"python": "py", "go": "go", "java": "java", "kotlin": "kt", "typescript": "ts", "csharp": "cs"}


def helper_source(language: str, module: str, rng: random.Random) -> str:
    """A file of ``rng``-chosen plain functions in ``language`` (deterministic for the seed)."""
    count = rng.randint(8, 20)
    names = [f"step{module.title()}{k}" for k in range(count)]
    function, call, head, join = HELPERS[language]
    bodies: list[str] = []
    for k, name in enumerate(names):
        a, b, loops = rng.randint(1, 97), rng.randint(2, 13), rng.randint(2, 9)
        calls = call.format(callee=names[k - 1]) if k else ""
        bodies.append(function.format(name=name, a=a, b=b, loops=loops, call=calls))
    return head.format(cls=module.title()) + join.join(bodies) + ("}\n" if language in ("java", "csharp") else "")


def generate(out: Path, services: int, seed: int = 7) -> dict[str, int]:
    """Write the monorepo into ``out`` (emptied first); return its files and lines."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(SAMPLE / "proto", out / "proto")
    names: list[tuple[str, str]] = []  # (service name, sample folder)
    for i in range(services):
        folder, language, sources, manifest = TEMPLATES[i % len(TEMPLATES)]
        name = f"svc{i:04d}-{folder}"
        names.append((name, folder))
        shutil.copytree(SAMPLE / folder, out / name)
        path = out / name / manifest
        path.write_text(re.sub(rf"\b{folder}\b", name, path.read_text("utf-8")), "utf-8")
        for k in range(rng.randint(2, 6)):
            module = f"helpers{k}"
            (out / name / sources / f"{module}.{EXTENSIONS[language]}").write_text(helper_source(language, module, rng), "utf-8")
    by_kind: dict[str, list[str]] = {}
    for name, folder in names:
        by_kind.setdefault(folder, []).append(name)
    compose = ["services:"]
    for name, folder in names:
        compose += [f"  {name}:", f"    build: ./{name}"]
        env = [var for var in USES.get(folder, ()) if DOWNSTREAM[var][0] in by_kind]
        if env:
            compose.append("    environment:")
            for var in env:
                kind, address = DOWNSTREAM[var]
                compose.append(f"      {var}: {address.format(rng.choice(by_kind[kind]))}")
    (out / "docker-compose.yml").write_text("\n".join(compose) + "\n", "utf-8")
    files = [p for p in out.rglob("*") if p.is_file()]
    return {"services": services, "files": len(files), "lines": sum(p.read_bytes().count(b"\n") for p in files)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--services", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(generate(args.out, args.services, args.seed))


if __name__ == "__main__":
    main()
