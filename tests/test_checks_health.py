"""health: healthchecks probing a port nobody listens on, or a path no Caddy route answers."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks import CheckContext, Side, finding_id
from bot.checks.caddyfile import parse_caddyfile
from bot.checks.health import health
from bot.config import parse_config

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
version: 1
files:
  docker-compose.yml: voice/docker-compose.yml
  caddy/Caddyfile: voice/caddy/Caddyfile
"""


def run(compose: str, caddyfile: str | None = None, name: str = "live") -> list:
    cfg = parse_config(CONFIG, Path("/r/.drift.yml"))
    files = {"voice/docker-compose.yml": compose}
    if caddyfile is not None:
        files["voice/caddy/Caddyfile"] = caddyfile
    side = Side(name, "snap-test", files, {repo: live for live, repo in cfg.files})
    return list(health(CheckContext(cfg, side)))


def caddy(test: str, mount: str = "./caddy/Caddyfile:/etc/caddy/Caddyfile:ro") -> str:
    return f"""services:
  caddy:
    image: caddy:2.8.4-alpine
    ports: ["80:80", "443:443"]
    volumes:
      - {mount}
      - caddy-data:/data
    healthcheck:
      test: {test}
"""


WGET = '["CMD", "wget", "-q", "-O-", "http://127.0.0.1:{port}{path}"]'


def probe(port: int, path: str = "/healthz") -> str:
    return caddy(WGET.format(port=port, path=path))


def test_main_probes_8080_where_caddy_has_no_site_one_cause_said_once():
    found = run((ROOT / "voice/docker-compose.yml").read_text(), (ROOT / "voice/caddy/Caddyfile").read_text(), "main")
    [f] = found  # the port nobody listens on and the route nobody answers there are one cause
    assert f.id == finding_id("health", "caddy:port") and f.severity == "warning"
    assert f.message == ("caddy healthcheck asks for /healthz on 127.0.0.1:8080, but caddy listens only on 80, 443, 2019 "
                         "and voice/caddy/Caddyfile has no site on port 8080: the check can never pass; probe a port it "
                         'serves or add `:8080 { respond /healthz "ok" 200 }` to voice/caddy/Caddyfile')
    assert (f.evidence["side"], f.evidence["file"], f.evidence["line"]) == ("main", "voice/docker-compose.yml", 90)
    # all the evidence of both: what it listens on, and what was asked of which Caddyfile
    assert f.evidence["listens"] == {"80": ["ports", "voice/caddy/Caddyfile"], "443": ["ports", "voice/caddy/Caddyfile"],
                                     "2019": ["Caddy admin API"]}
    assert (f.evidence["probed_port"], f.evidence["probed_path"], f.evidence["caddyfile"]) == (8080, "/healthz",
                                                                                              "voice/caddy/Caddyfile")
    assert f.evidence["test"] == ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"]


def test_a_served_port_without_the_route_and_an_unserved_port_of_another_service_stay_apart():
    caddyfile = ":8081 {\n\trespond /livez 200\n}\n"
    [path] = run(probe(8081), caddyfile)  # the port is served: only the route is missing
    assert path.id == finding_id("health", "caddy:path")
    assert path.message.startswith("caddy healthcheck asks for /healthz on port 8081, but no route of its port-8081 site")
    compose = "services:\n  a:\n    image: x/a:1\n    expose: [\"9000\"]\n    healthcheck: {test: curl -f http://127.0.0.1:9001/}\n"
    [port] = run(compose)  # no Caddyfile: the port finding alone, as before
    assert port.id == finding_id("health", "a:port") and "listens only on 9000" in port.message


def test_the_live_fix_answers_on_8081():
    assert run((ROOT / "examples/instance/docker-compose.yml").read_text(),
               (ROOT / "examples/instance/caddy/Caddyfile").read_text()) == []


def test_ports_expose_and_the_port_flag():
    compose = """services:
  a:
    image: vllm/vllm-openai:v0.11.0
    command: vllm serve m --port 8001
    healthcheck: {test: curl -fsS http://localhost:8001/health || exit 1}
  b:
    image: example/b:1
    command: ["serve", "--port=9000"]
    expose: ["7000/tcp", "7100-7102"]
    healthcheck: {test: ["CMD-SHELL", "curl -f localhost:7101/ && curl -f 127.0.0.1:9000/"]}
  c:
    image: example/c:1
    ports: [{target: 5000, published: 15000}]
    healthcheck: {test: ["CMD", "curl", "-f", "http://0.0.0.0:5000/"]}
"""
    assert run(compose) == []
    [f] = run(compose.replace("localhost:8001", "localhost:8000"))
    assert f.message.startswith("a healthcheck probes localhost:8000, but a listens only on 8001: the check can never pass")
    assert f.evidence["line"] == 5 and f.id == finding_id("health", "a:port")


def test_unknown_ports_and_shared_networks_are_not_judged():
    compose = """services:
  a:
    image: example/a:1
    healthcheck: {test: ["CMD", "curl", "-f", "http://127.0.0.1:8000/"]}
  b:
    image: example/b:1
    network_mode: "service:c"
    expose: ["1"]
    healthcheck: {test: ["CMD", "curl", "-f", "http://127.0.0.1:8000/"]}
  d:
    image: example/d:1
    expose: ["1"]
    healthcheck: {disable: true}
  e:
    image: example/e:1
    expose: ["1"]
    healthcheck: {test: ["CMD", "curl", "-f", "http://other-service:8000/"]}
"""
    assert run(compose) == []


def test_a_caddy_without_a_tracked_caddyfile_is_not_judged():
    assert run(probe(8080), None) == []
    assert run(caddy(WGET.format(port=8080, path="/healthz"), mount="./other/conf:/etc/caddy/Caddyfile")) == []


@pytest.mark.parametrize("route", [
    'respond /healthz "ok" 200',
    'respond "ok" 200',
    "handle /healthz {\n\t\trespond \"ok\"\n\t}",
    "handle_path /healthz* {\n\t\trespond \"ok\"\n\t}",
    "route /health* {\n\t\trespond \"ok\"\n\t}",
    "@health path /healthz /livez\n\trespond @health 200",
    "@health {\n\t\tpath /healthz\n\t}\n\trespond @health 200",
    "reverse_proxy /healthz app:9000",
    "import health",
    "handle {\n\t\trespond * \"ok\"\n\t}",
    "@health path /healthz\n\thandle {\n\t\trespond @health 200\n\t}",
])
def test_routes_that_answer(route):
    caddyfile = f'(health) {{\n\trespond /healthz 200\n}}\n\n:8081 {{\n\t{route}\n}}\n'
    assert run(probe(8081), caddyfile) == []


@pytest.mark.parametrize("route", [
    'respond /livez "ok" 200',
    "handle /api/* {\n\t\trespond \"ok\"\n\t}",
    "handle_path /healthz/* {\n\t\trespond \"ok\"\n\t}",
    "@health path /livez\n\trespond @health 200",
    "handle /healthz {\n\t\theader X-A b\n\t}",
    "@health path /livez\n\thandle {\n\t\trespond @health 200\n\t}",
])
def test_routes_that_do_not(route):
    [f] = run(probe(8081), f":8081 {{\n\t{route}\n}}\n")
    assert f.message == ("caddy healthcheck asks for /healthz on port 8081, but no route of its port-8081 site in "
                         'voice/caddy/Caddyfile answers it; add `respond /healthz "ok" 200` there')
    assert f.evidence["sites_on_port"] == [":8081"]


def test_a_host_named_site_does_not_answer_a_probe_by_ip():
    caddyfile = "voice.example.com {\n\trespond /healthz 200\n}\n"
    [f] = run(probe(80), caddyfile)
    assert f.id == finding_id("health", "caddy:path")  # port 80 is served, but not for Host: 127.0.0.1
    assert f.message == ("caddy healthcheck asks for /healthz on port 80, but the port-80 sites of voice/caddy/Caddyfile "
                         '(voice.example.com) answer other host names only; add `:80 { respond /healthz "ok" 200 }`')
    assert run(caddy('["CMD", "wget", "-qO-", "http://localhost/healthz"]'), "localhost {\n\trespond /healthz 200\n}\n") == []


def test_global_ports_admin_and_directory_mounts():
    caddyfile = "{\n\thttp_port 8088\n\tadmin :2020\n}\nhttp:// {\n\trespond /healthz 200\n}\n"
    mount = "./caddy:/etc/caddy"
    assert run(caddy(WGET.format(port=8088, path="/healthz"), mount), caddyfile) == []
    assert run(caddy(WGET.format(port=2020, path="/config/"), mount), caddyfile) == []  # the admin API
    found = run(caddy(WGET.format(port=2019, path="/config/"), mount), caddyfile)  # admin moved away from 2019
    assert [f.id for f in found] == [finding_id("health", "caddy:port")]  # no site there either: one cause, once
    assert found[0].message.startswith("caddy healthcheck asks for /config/ on 127.0.0.1:2019, but caddy listens only on")
    off = "{\n\tadmin off\n}\n:8081 {\n\trespond 200\n}\n"
    assert "listens only on 80, 443, 8081 and" in run(caddy(WGET.format(port=2019, path="/config/")), off)[0].message


def test_parse_caddyfile_sites_and_tokens():
    config = parse_caddyfile("""# comment { not a block
{
\temail ops@example.com
}

(common) {
\tencode gzip
}

example.com, http://www.example.com:8000, :9000/api/* {
\theader X-Note "a { brace } in quotes"  # trailing comment
\trespond "hi"
}

[::1]:7000 {
\trespond "v6"
}
""")
    assert list(config.snippets) == ["common"]
    a, b = config.sites
    assert a.addresses == ["example.com", "http://www.example.com:8000", ":9000/api/*"]
    assert a.ports == {80, 443, 8000, 9000} and a.hosts == {"example.com", "www.example.com", ""}
    assert a.paths == ["/api/*"] and config.admin_port == 2019
    assert b.ports == {7000} and b.hosts == {"::1"}


def test_a_caddyfile_without_braces_is_one_site():
    config = parse_caddyfile("localhost:8081\n\nrespond /healthz 200\n")
    [site] = config.sites
    assert site.ports == {8081} and site.answers("/healthz", {})
