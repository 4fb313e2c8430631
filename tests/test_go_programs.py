"""One Go module whose programs each Compose service builds with its own Dockerfile (`go build
./cmd/counter`, no `command:`): each is a service whose code is the folder its program alone
reaches (docs/evaluation.md D67, go-coffeeshop). A Dockerfile building two programs picks none. The
sample is fixtures/monorepos/go-programs."""

from __future__ import annotations

from .samples import MONOREPOS, of, run_json

SAMPLE = MONOREPOS / "go-programs"


def test_each_program_is_the_service_of_the_folder_it_alone_reaches():
    scan = run_json("scan", SAMPLE, "--no-cache")
    assert sorted((s["name"], s["root"]) for s in scan["services"]) == [
        ("counter", "internal/counter"),  # cmd/counter reaches internal/counter, which no other program does
        ("gateway", "cmd/gateway"),  # it reaches only internal/shared, which the others reach too: its own folder
        ("product", "internal/product"),
    ]
    assert [(f["service"], f["target"]["service"], f["target"]["via"]) for f in of(scan["facts"], "grpc_call")] == [("counter", "product", "deploy_env")]
    roles = {i["root"]: i["role"] for i in scan["inventory"]}
    assert roles["."] == "build" and "cmd/tools" not in roles  # the tools Dockerfile builds two programs: no mode
