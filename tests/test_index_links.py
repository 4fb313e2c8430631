"""The frontends' repository-wide indexes (Java packages, JavaScript constructions, C# projects)
walk the scan root themselves: a file that links out of the root is not read, as the scan's own
listing does not read it (DEVELOPERS.md: never follow symlinks out of the scan root)."""

from __future__ import annotations

from extractor.frontends.treesitter import csharp_project, java_package, javascript


def _repo_linking_out(tmp_path, rel, text, inside):
    """A repository of the files ``inside`` whose ``rel`` links to a file of that ``text`` outside it."""
    outside = tmp_path / "outside" / rel.rpartition("/")[2]
    outside.parent.mkdir()
    outside.write_text(text)
    root = tmp_path / "repo"
    for name, content in inside.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).symlink_to(outside)
    return root


def test_java_package_index_reads_no_file_linking_out_of_the_root(tmp_path):
    inside = {"svc/src/main/java/demo/Inside.java": "package demo;\n@Configuration\nclass Inside {}\n"}
    root = _repo_linking_out(tmp_path, "svc/src/main/java/demo/Linked.java", "package demo;\n@Configuration\nclass Linked {}\n", inside)
    index = java_package._bean_modules.__wrapped__(str(root), ".java")
    assert "=demo.Inside" in index and "=demo.Linked" not in index


def test_javascript_constructions_read_no_file_linking_out_of_the_root(tmp_path):
    inside = {"app/client.js": "export class Client {}\nconst own = new Client();\n", "app/user.js": "const c = new Client();\n"}
    root = _repo_linking_out(tmp_path, "app/maker.js", "const c = new Client();\n", inside)
    index = javascript._constructions.__wrapped__(str(root))
    assert index == {"app/client": ("app/user",)}


def test_csharp_solution_reads_no_project_linking_out_of_the_root(tmp_path):
    web_project = '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n'
    root = _repo_linking_out(tmp_path, "Linked/Linked.csproj", web_project, {"Api/Api.csproj": web_project})
    refs, runnable, web = csharp_project._solution.__wrapped__(str(root))
    assert "Linked" not in refs and "Linked" not in runnable and "Linked" not in web
    assert "Api" in web
