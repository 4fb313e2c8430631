"""D10: an identity provider's authority is a call. The C# and Java rules are checked by the rule
harness (fixtures/rules/*/platform/identity*); here, the wiring that gives a .NET Aspire project the
authority's address: ``.WithEnvironment("IdentityUrl", identityEndpoint)`` with an endpoint of
another project resource (eShop's app host)."""

from __future__ import annotations

from pathlib import Path

from extractor.pipeline import analyse

FILES = {
    "AppHost/AppHost.csproj": '<Project Sdk="Aspire.AppHost.Sdk/9.0.0"><PropertyGroup><IsAspireHost>true</IsAspireHost></PropertyGroup></Project>\n',
    "AppHost/Program.cs": (
        "var builder = DistributedApplication.CreateBuilder(args);\n"
        'var identityApi = builder.AddProject<Projects.Identity_API>("identity-api");\n'
        'var identityEndpoint = identityApi.GetEndpoint("http");\n'
        'builder.AddProject<Projects.WebApp>("webapp")\n'
        '    .WithEnvironment("IdentityUrl", identityEndpoint)\n'
        '    .WithEnvironment("CallBackUrl", "http://localhost:5100");\n'
        'builder.AddProject<Projects.Basket_API>("basket-api")\n'
        '    .WithEnvironment("Identity__Url", identityApi.GetEndpoint("http"));\n'
    ),
    "Identity.API/Identity.API.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
    "Identity.API/Program.cs": "var app = WebApplication.Create(args);\napp.Run();\n",
    "Basket.API/Basket.API.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
    "Basket.API/Program.cs": "var app = WebApplication.Create(args);\napp.Run();\n",
    "WebApp/WebApp.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
    "WebApp/Program.cs": (
        "using Microsoft.Extensions.DependencyInjection;\n"
        "var builder = WebApplication.CreateBuilder(args);\n"
        'var identityUrl = builder.Configuration["IdentityUrl"];\n'
        "builder.Services.AddAuthentication().AddCookie().AddOpenIdConnect(options =>\n"
        "{\n"
        "    options.Authority = identityUrl;\n"
        '    options.ClientId = "webapp";\n'
        "});\n"
        "var app = builder.Build();\n"
        "app.Run();\n"
    ),
}


def test_an_aspire_endpoint_given_as_environment_is_the_authority_address(tmp_path: Path):
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    analysis = analyse(tmp_path)
    calls = [
        (
            f.service,
            f.file,
            f.line,
            f.fields["method"],
            f.fields["target"]["service"],
            f.fields["target"]["via"],
            f.fields["timeout_ms"],
            f.fields["timeout_source"],
            f.fields["schedule"],
        )
        for f in analysis.scan.facts
        if f.rule == "csharp.platform.identity"
    ]
    assert calls == [("WebApp", "WebApp/Program.cs", 4, "GET", "Identity.API", "deploy_env", 60000, "library_default", "background")]
    # on the library's schedule: not a downstream call of any request WebApp serves (checks/system.callee_spend)
    assert [c.background for c in analysis.inferred.calls if c.caller == "WebApp"] == [True]
