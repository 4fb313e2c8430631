"""The PHP adapter of the tree-sitter engine: names through namespaces and ``use``, values, a file's
module (its Composer project), and a Symfony container's constructor arguments reaching a call in
another file, end to end (Robot Shop's ratings → catalogue wiring).

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and what a scan of a PHP service gives.
"""

from __future__ import annotations

import textwrap

from extractor.catalog import load_catalog
from extractor.config import Config
from extractor.frontends import frontend_for, language_of
from extractor.frontends.testing import Probe, select_rules
from extractor.frontends.treesitter.php_project import project_path
from extractor.scan import scan
from extractor.values import Concat, Const, Dynamic, Env, Map, Ref, Seq, strip

from .checks.helpers import write

RULES = ("php.http.guzzle", "php.http.curl")


def body(source: str) -> tuple[Probe, object]:
    """A probe of a file whose function ``f`` holds ``source``'s statements, and ``f``'s scanned scope."""
    head, _, stmts = textwrap.dedent(source).partition("---\n")
    an = Probe("php", "<?php\n" + head + "function f() {\n" + stmts + "}\n", "src/x.php", select_rules("php", RULES, uses=False), "")
    return an, an.locals_of(an.value("f").fn)


def test_names_through_namespace_and_use():
    an, scope = body(
        """\
        namespace App\\Clients;
        use GuzzleHttp\\Client as G;
        use Foo\\{Bar, Baz as Q};
        use function Lib\\helper;
        ---
        $a = new G();
        $b = Q::class;
        $c = Bar::X;
        $d = helper();
        $e = \\Other\\Thing::create();
        $f = Local::class;
        $g = curl_version();
        """
    )
    assert an.value("$a", scope).type == "GuzzleHttp.Client"
    assert strip(an.value("$b", scope)) == Const("Foo\\Baz")
    assert strip(an.value("$c", scope)) == Ref("Foo.Bar.X")
    assert strip(an.value("$f", scope)) == Const("App\\Clients\\Local")  # a class of the file's namespace


def test_values():
    an, scope = body(
        """\
        const BASE = 'http://risk:8080';
        define('PORT', 8080);
        ---
        $sku = $_GET['sku'];
        $m = ['timeout' => 2.5, 'base_uri' => BASE . '/v1'];
        $l = [1, 0x10, 010, 1_000];
        $s = "x{$sku}y $sku\\n";
        $q = 'it\\'s';
        $e = getenv('RISK_URL') ?: 'http://risk:8080';
        $n = $_ENV['N'] ?? 'd';
        $p = sprintf('%s/p/%d', BASE, PORT);
        $t = true ? 5 : 5;
        """
    )
    assert strip(an.value("$m", scope)) == Map(((Const("timeout"), Const(2.5)), (Const("base_uri"), Const("http://risk:8080/v1"))))
    assert strip(an.value("$l", scope)) == Seq((Const(1), Const(16), Const(8), Const(1000)))
    s = strip(an.value("$s", scope))
    assert isinstance(s, Concat) and s.parts[0] == Const("x") and s.parts[-1] == Const("\n")
    assert strip(an.value("$q", scope)) == Const("it's")
    assert strip(an.value("$e", scope)) == Env("RISK_URL", Const("http://risk:8080"))
    assert strip(an.value("$n", scope)) == Env("N", Const("d"))
    assert strip(an.value("$p", scope)) == Const("http://risk:8080/p/8080")
    assert strip(an.value("$t", scope)) == Const(5)
    assert isinstance(strip(an.value("$sku", scope)), Dynamic)  # $_GET is no environment


def test_files_modules_and_comments(tmp_path):
    assert language_of("html/src/Kernel.php") == "php"
    (tmp_path / "ratings" / "html" / "src").mkdir(parents=True)
    (tmp_path / "ratings" / "html" / "composer.json").write_text("{}", encoding="utf-8")
    assert project_path(tmp_path, "ratings/html/src/Service/X.php") == "ratings/html"
    assert project_path(tmp_path, "tools/x.php") == "tools"
    got = frontend_for("php").comments(b"<?php\n$x = 1; // expect: a\n# ok: b\n/* c */\n")
    assert [(c.line, c.text) for c in got] == [(2, "expect: a"), (3, "ok: b"), (4, "c")]


def test_a_composer_json_written_between_two_scans_of_one_process_is_read_by_the_second(tmp_path):
    write(tmp_path, {"ratings/html/src/X.php": "<?php\n$c = new GuzzleHttp\\Client();\n$c->get('http://risk/x');\n"})
    scan(tmp_path, config=Config(), rule_ids=list(RULES))
    assert frontend_for("php").module_name(tmp_path, "ratings/html/src/X.php") == "ratings/html/src"
    (tmp_path / "ratings" / "html" / "composer.json").write_text("{}", encoding="utf-8")
    scan(tmp_path, config=Config(), rule_ids=list(RULES))
    assert frontend_for("php").module_name(tmp_path, "ratings/html/src/X.php") == "ratings/html"


def test_a_symfony_container_argument_is_the_address_of_a_call_in_another_file(tmp_path):
    """Robot Shop's ratings: ``CatalogueService`` builds its URL from a constructor parameter that the
    kernel registers as ``getenv('CATALOGUE_URL') ?: 'http://catalogue:8080'``."""
    files = {
        "ratings/Dockerfile": "FROM php:7.4-apache\nCOPY html/ /var/www/html\n",
        "ratings/html/composer.json": '{"require": {"ext-curl": "*", "symfony/dependency-injection": "^5.2"}}\n',
        "ratings/html/src/Kernel.php": """\
            <?php
            namespace Shop\\Ratings;
            use Shop\\Ratings\\Service\\CatalogueService;
            use Symfony\\Component\\DependencyInjection\\ContainerBuilder;
            class Kernel {
                protected function configureContainer(ContainerBuilder $c): void {
                    $c->setParameter('catalogueUrl', getenv('CATALOGUE_URL') ?: 'http://catalogue:8080');
                    $c->register(CatalogueService::class)->addArgument($c->getParameter('catalogueUrl'))->setAutowired(true);
                }
            }
            """,
        "ratings/html/src/Service/CatalogueService.php": """\
            <?php
            namespace Shop\\Ratings\\Service;
            class CatalogueService {
                private $catalogueUrl;
                public function __construct(string $catalogueUrl) { $this->catalogueUrl = $catalogueUrl; }
                public function checkSKU(string $sku): bool {
                    $curl = curl_init(sprintf('%s/product/%s', $this->catalogueUrl, $sku));
                    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true]);
                    return (bool) curl_exec($curl);
                }
            }
            """,
        "catalogue/package.json": '{"name": "catalogue"}\n',
        "catalogue/Dockerfile": "FROM node:18\n",
        "catalogue/server.js": "const express = require('express');\nconst app = express();\napp.get('/product/:sku', (req, res) => res.send('x'));\n",
    }
    result = scan(write(tmp_path, files), catalog=load_catalog(), config=Config())
    (call,) = [f for f in result.facts if f.kind == "http_call"]
    assert (call.service, call.file, call.line, call.fields["url"]) == (
        "ratings",
        "ratings/html/src/Service/CatalogueService.php",
        9,
        "http://catalogue:8080/product/{$sku}",
    )
    assert call.fields["target"]["service"] == "catalogue" and call.fields["target"]["via"] == "env_default"
    assert call.fields["timeout_ms"] is None and call.fields["timeout_source"] == "none"
    (ratings,) = [s for s in result.services if s.name == "ratings"]
    assert ratings.languages == ("php",)
