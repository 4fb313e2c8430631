"""D46 (docs/evaluation.md, TeaStore): a Compose service that only runs an image is the service whose
folder the build tooling builds that image from (CI workflow steps, build scripts); a Maven jar that
other modules depend on and that has no entry point is a library; a folder with no source whose
image other Dockerfiles build FROM is a base image; an image built from a stock database folder is
infrastructure."""

from __future__ import annotations

from pathlib import Path

from extractor.config import Config
from extractor.discover import inventory, survey
from extractor.images import built_images, image_name

from .checks.helpers import write

WORKFLOW = """
jobs:
  docker:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Build and push shop-auth
        uses: docker/build-push-action@v5
        with:
          context: ./services/com.acme.auth
          push: true
          tags: acme/shop-auth:latest,acme/shop-auth:${{ env.VERSION }}
      - name: Build and push shop-db
        uses: docker/build-push-action@v5
        with:
          context: ./utilities/shop.database
          tags: acme/shop-db:${{ env.GIT_BRANCH }}
      - name: Build a branch's context
        uses: docker/build-push-action@v5
        with:
          context: ${{ env.CONTEXT }}
          tags: acme/shop-mq:latest
"""

SCRIPT = """
#!/bin/sh
registry='acme/'
docker buildx build --platform linux/amd64 -t "${registry}shop-base" ../utilities/shop.base/ --push
docker build -t acme/shop-webui ../services/com.acme.webui
docker build -t acme/shop-twice ../services/com.acme.webui
docker build -t acme/shop-twice ../services/com.acme.auth
"""

COMPOSE = """
services:
  auth: {image: "acme/shop-auth:latest"}
  webui: {image: "acme/shop-webui:latest"}
  db: {image: "acme/shop-db:latest"}
  mq: {image: "acme/shop-mq:latest"}
  cache: {image: "redis:7"}
"""

WAR = "<project><artifactId>{name}</artifactId><packaging>war</packaging><dependencies>{deps}</dependencies></project>"
DEP = "<dependency><groupId>com.acme</groupId><artifactId>{name}</artifactId></dependency>"


def _shop(root: Path) -> Path:
    deps = DEP.format(name="registryclient") + DEP.format(name="tool")
    return write(
        root,
        {
            ".github/workflows/docker.yml": WORKFLOW,
            "tools/build_docker.sh": SCRIPT,
            "examples/docker-compose.yaml": COMPOSE,
            "services/com.acme.auth/pom.xml": WAR.format(name="auth", deps=deps),
            "services/com.acme.auth/Dockerfile": "FROM acme/shop-base:latest\nCOPY target/*.war /usr/local/tomcat/webapps/\n",
            "services/com.acme.auth/src/main/java/com/acme/auth/Login.java": "package com.acme.auth;\npublic class Login {}\n",
            "services/com.acme.webui/pom.xml": WAR.format(name="webui", deps=deps),
            "services/com.acme.webui/Dockerfile": "FROM acme/shop-base:latest\nCOPY target/*.war /usr/local/tomcat/webapps/\n",
            "services/com.acme.webui/src/main/java/com/acme/webui/Page.java": "package com.acme.webui;\npublic class Page {}\n",
            "utilities/shop.registryclient/pom.xml": "<project><parent><artifactId>parent</artifactId></parent><artifactId>registryclient</artifactId><packaging>jar</packaging></project>",
            "utilities/shop.registryclient/src/main/java/com/acme/registry/Client.java": "package com.acme.registry;\npublic class Client {}\n",
            "utilities/shop.tool/pom.xml": "<project><artifactId>tool</artifactId></project>",
            "utilities/shop.tool/src/main/java/com/acme/tool/Main.java": "package com.acme.tool;\npublic class Main { public static void main(String[] a) {} }\n",
            "utilities/shop.unused/pom.xml": "<project><artifactId>unused</artifactId><packaging>jar</packaging></project>",
            "utilities/shop.unused/src/main/java/com/acme/unused/Job.java": "package com.acme.unused;\npublic class Job {}\n",
            "utilities/shop.base/pom.xml": "<project><artifactId>base</artifactId><packaging>pom</packaging></project>",
            "utilities/shop.base/Dockerfile": "FROM tomcat:10.0-jdk11\nCOPY server.xml /usr/local/tomcat/conf/\n",
            "utilities/shop.base/server.xml": "<Server/>\n",
            "utilities/shop.database/Dockerfile": "FROM mariadb:10.4\nCOPY setup.sql /docker-entrypoint-initdb.d/\n",
            "utilities/shop.database/setup.sql": "CREATE TABLE t (id INT);\n",
        },
    )


def test_the_folders_the_build_tooling_builds_images_from(tmp_path):
    root = _shop(tmp_path)
    folders = {"services/com.acme.auth", "services/com.acme.webui", "utilities/shop.base", "utilities/shop.database"}
    builds = built_images(root, [".github/workflows/docker.yml", "tools/build_docker.sh"], folders)
    assert builds == {
        "shop-auth": ("services/com.acme.auth", ".github/workflows/docker.yml:6"),
        "shop-db": ("utilities/shop.database", ".github/workflows/docker.yml:12"),
        "shop-base": ("utilities/shop.base", "tools/build_docker.sh:3"),  # ${registry} is the registry's prefix
        "shop-webui": ("services/com.acme.webui", "tools/build_docker.sh:4"),
    }  # shop-mq: its context is an expression; shop-twice: two folders build it, so neither
    assert image_name("registry.acme:5000/acme/shop-auth:1.2@sha256:ab") == "shop-auth"


def test_an_image_only_compose_service_is_the_service_that_builds_its_image(tmp_path):
    root = _shop(tmp_path)
    services, folders = survey(inventory(root, Config()), Config())
    assert sorted(s.name for s in services) == ["com.acme.auth", "com.acme.webui", "shop.tool", "shop.unused"]
    roles = {f.root: (f.service, f.role) for f in folders}
    assert roles["utilities/shop.registryclient"] == (None, "library")  # a jar two modules depend on, no main
    assert roles["utilities/shop.tool"] == ("shop.tool", "service")  # a dependency too, but it has a main
    assert roles["utilities/shop.unused"] == ("shop.unused", "service")  # a jar no module depends on
    assert roles["utilities/shop.base"] == (None, "build")  # auth's and webui's Dockerfiles build FROM its image
    assert roles["utilities/shop.database"] == (None, "infrastructure")
    assert roles["examples/docker-compose.yaml#db"] == (None, "infrastructure")  # the image of the database folder
    assert roles["examples/docker-compose.yaml#mq"] == ("mq", "image")  # built nowhere the tooling says: a service with no code
    assert roles["examples/docker-compose.yaml#cache"] == (None, "infrastructure")
    assert "examples/docker-compose.yaml#auth" not in roles and "examples/docker-compose.yaml#webui" not in roles
    auth = next(s for s in services if s.name == "com.acme.auth")
    assert "auth" in auth.aliases
    reason = next(f.reason for f in folders if f.root == "services/com.acme.auth")
    assert "compose service auth (examples/docker-compose.yaml) runs its image acme/shop-auth:latest (.github/workflows/docker.yml:6)" in reason
    db = next(f.reason for f in folders if f.root == "examples/docker-compose.yaml#db")
    assert "which utilities/shop.database builds (.github/workflows/docker.yml:12): a stock mariadb image" in db


def test_the_joined_compose_name_is_an_address_of_the_service(tmp_path):
    from extractor.environment import build_address_book

    root = _shop(tmp_path)
    inv = inventory(root, Config())
    services, _ = survey(inv, Config())
    book = build_address_book(root, services, inv.other_files)
    assert (book.service_for_host("auth"), book.service_for_host("webui"), book.service_for_host("db")) == ("com.acme.auth", "com.acme.webui", None)
