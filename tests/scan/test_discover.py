"""Services and files are found without configuration on common layouts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from extractor.config import Config, ConfigError, load_config
from extractor.discover import find_services, inventory


def _touch(root: Path, *rels: str, text: str = "") -> None:
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _services(root: Path, config: Config | None = None) -> dict[str, str]:
    config = config or Config()
    return {s.root: s.name for s in find_services(inventory(root, config), config)}


def test_manifests_and_contract_folders_make_services(tmp_path):
    _touch(
        tmp_path,
        "services/risk/pyproject.toml",
        "services/risk/risk/api.py",
        "services/risk/tests/requirements.txt",  # nested manifest: still the risk service
        "services/checkout/package.json",
        "services/checkout/src/index.js",
        "services/orders/go.mod",
        "services/legacy/contracts/sla.yaml",
        "services/billing/Billing.csproj",
        "tools/README.md",
    )
    assert _services(tmp_path) == {
        "services/billing": "billing",
        "services/checkout": "checkout",
        "services/legacy": "legacy",
        "services/orders": "orders",
        "services/risk": "risk",
    }


def test_a_declared_service_name_wins_over_the_directory_name(tmp_path):
    _touch(tmp_path, "risk-service/requirements.txt")
    _touch(tmp_path, "risk-service/contracts/sla.yaml", text="service: risk\nprovides: []\n")
    services = find_services(inventory(tmp_path, Config()), Config())
    assert [(s.name, s.root) for s in services] == [("risk", "risk-service")]
    assert "risk-service" in services[0].aliases


def test_workspace_manifests_are_not_services(tmp_path):
    _touch(tmp_path, "package.json", text='{"workspaces": ["apps/*"]}')
    _touch(tmp_path, "apps/package.json", text='{"private": true, "workspaces": ["*"]}')
    _touch(tmp_path, "apps/web/package.json", text='{"name": "@acme/web"}')
    _touch(tmp_path, "apps/api/package.json", text='{"name": "@acme/api"}')
    assert _services(tmp_path) == {"apps/api": "api", "apps/web": "web"}


def test_a_repo_without_services_is_one_service(tmp_path):
    _touch(tmp_path, "app.py")
    assert _services(tmp_path) == {".": tmp_path.name}


def test_default_ignores(tmp_path):
    _touch(
        tmp_path,
        "svc/requirements.txt",
        "svc/app.py",
        "svc/node_modules/lib/index.js",
        "svc/.venv/lib/site.py",
        "svc/build/gen.py",
        "svc/protos/risk_pb2.py",
        "svc/protos/risk_pb2_grpc.py",
    )
    assert inventory(tmp_path, Config()).files == ["svc/app.py"]


def test_git_ls_files_respects_gitignore(tmp_path):
    _touch(tmp_path, "svc/requirements.txt", "svc/app.py", "svc/secret_gen.py", "svc/untracked.py")
    (tmp_path / ".gitignore").write_text("secret_gen.py\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    inv = inventory(tmp_path, Config())
    assert inv.from_git
    assert inv.files == ["svc/app.py", "svc/untracked.py"]


def test_configuration_declares_roots_names_and_ignores(tmp_path):
    _touch(tmp_path, "platform/a/main.py", "platform/b/main.py", "platform/b/legacy/old.py")
    (tmp_path / "contracts.toml").write_text('services = ["platform/*"]\nignore = ["**/legacy/**"]\n[names]\n"platform/b" = "billing"\n')
    config = load_config(tmp_path)
    assert _services(tmp_path, config) == {"platform/a": "a", "platform/b": "billing"}
    assert inventory(tmp_path, config).files == ["platform/a/main.py", "platform/b/main.py"]


def test_pyproject_tool_table_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mono"\n\n[tool.contracts]\nmax_file_bytes = 1234\n')
    assert load_config(tmp_path).max_file_bytes == 1234


@pytest.mark.parametrize(
    "text, message",
    [
        ("servces = []\n", "contracts.toml:1: unknown key 'servces'"),
        ("services = [1]\n", "contracts.toml:1: services must be a list of strings"),
        ("services = [\n", "contracts.toml:"),
        ("max_file_bytes = -1\n", "contracts.toml:1: max_file_bytes must be a positive integer"),
    ],
)
def test_bad_configuration_names_file_and_line(tmp_path, text, message):
    (tmp_path / "contracts.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(message)


def test_a_generic_project_folder_takes_its_parents_name(tmp_path):
    _touch(
        tmp_path,
        "src/cartservice/cartservice.sln",
        "src/cartservice/src/cartservice.csproj",
        "src/cartservice/tests/cartservice.tests.csproj",
        "src/web/src/package.json",  # alone in its parent: "web"
        "apps/api/package.json",  # beside another service: keeps "api"
        "apps/admin/package.json",
    )
    assert _services(tmp_path) == {
        "apps/admin": "admin",
        "apps/api": "api",
        "src/cartservice/src": "cartservice",
        "src/web/src": "web",
    }
    # a test project is not a service (issue 10); once configuration includes it, it is named after its parent
    (tmp_path / "contracts.toml").write_text('[inventory]\ninclude = ["src/cartservice/tests"]\n')
    assert _services(tmp_path, load_config(tmp_path))["src/cartservice/tests"] == "cartservice-tests"
