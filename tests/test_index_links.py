"""The frontends' repository-wide indexes (Java packages, JavaScript constructions, C# projects)
walk the scan root themselves: a file that links out of the root is not read, as the scan's own
listing does not read it (DEVELOPERS.md: never follow symlinks out of the scan root)."""

from __future__ import annotations

from extractor.frontends.treesitter import csharp_project, java_package, javascript


def _link(root, rel, target):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def test_java_package_index_reads_no_file_linking_out_of_the_root(tmp_path):
    outside = tmp_path / "outside" / "Linked.java"
    outside.parent.mkdir()
    outside.write_text("package demo;\n@Configuration\nclass Linked {}\n")
    root = tmp_path / "repo"
    inside = root / "svc/src/main/java/demo/Inside.java"
    inside.parent.mkdir(parents=True)
    inside.write_text("package demo;\n@Configuration\nclass Inside {}\n")
    _link(root, "svc/src/main/java/demo/Linked.java", outside)
    index = java_package._bean_modules.__wrapped__(str(root), ".java")
    assert "=demo.Inside" in index and "=demo.Linked" not in index


def test_javascript_constructions_read_no_file_linking_out_of_the_root(tmp_path):
    outside = tmp_path / "outside" / "maker.js"
    outside.parent.mkdir()
    outside.write_text("const c = new Client();\n")
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app/client.js").write_text("export class Client {}\nconst own = new Client();\n")
    (root / "app/user.js").write_text("const c = new Client();\n")
    _link(root, "app/maker.js", outside)
    index = javascript._constructions.__wrapped__(str(root))
    assert index == {"app/client": ("app/user",)}


def test_csharp_solution_reads_no_project_linking_out_of_the_root(tmp_path):
    outside = tmp_path / "outside" / "Linked.csproj"
    outside.parent.mkdir()
    outside.write_text('<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n')
    root = tmp_path / "repo"
    (root / "Api").mkdir(parents=True)
    (root / "Api/Api.csproj").write_text('<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n')
    _link(root, "Linked/Linked.csproj", outside)
    refs, runnable, web = csharp_project._solution.__wrapped__(str(root))
    assert "Linked" not in refs and "Linked" not in runnable and "Linked" not in web
    assert "Api" in web
