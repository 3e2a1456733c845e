"""bot/compare/compose.py: compose files compared as compose reads them.

Two files that `docker compose` would run identically never show a divergence; two that it
would run differently show one at the deepest mapping key whose values differ (a list
differs as a whole), with the values before and after normalisation.
"""
from __future__ import annotations

import re
from textwrap import dedent

import pytest

from bot.compare.compose import (
    ComposeParseError,
    drift_ignores,
    format_duration,
    go_string,
    load_compose,
    locate_line,
    normalize,
    parse_duration,
    pointer,
    walk,
)
from tests.compare_support import TrackedFile, summary

COMPOSE = "voice/docker-compose.yml"
# Credential-shaped fakes, assembled from halves so that no token-shaped literal is in the source.
FAKE_HF = "hf_" "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
FAKE_OPENAI = "sk-proj-" "AbCdEfGhIjKlMnOpQrStUvWx"


# Two compose texts compared the way a run does (live side captured, so redacted).
_FILE = TrackedFile(COMPOSE, "docker-compose.yml")
divergences, same, only = _FILE.divergences, _FILE.same, _FILE.only


# --- ports ---------------------------------------------------------------------------

# (short syntax, the long syntax compose reads it as)
PORT_SPELLINGS = {
    "short syntax equals long syntax": (
        '["8080:80"]', '[{target: 80, published: "8080", protocol: tcp, mode: ingress}]'),
    "an integer published port equals a quoted one": ('["8080:80"]', "[{target: 80, published: 8080}]"),
    "a host ip stays the host ip": (
        '["127.0.0.1:8000:8000"]', '[{host_ip: 127.0.0.1, target: 8000, published: "8000"}]'),
    "an ipv6 host ip stays the host ip": ('["[::1]:8000:8000"]', '[{host_ip: "::1", target: 8000, published: "8000"}]'),
    "a range is one long entry per port": ('["50000-50002:50000-50002"]', "["
                                           '{target: 50000, published: "50000"}, {target: 50001, published: "50001"}, '
                                           '{target: 50002, published: "50002"}]'),
    "udp is protocol udp": ('["3478:3478/udp"]', '[{target: 3478, published: "3478", protocol: udp}]'),
    "a target alone has no published port": ('["80"]', "[{target: 80}]"),
}


@pytest.mark.parametrize("short, long", PORT_SPELLINGS.values(), ids=list(PORT_SPELLINGS))
def test_short_port_syntax_equals_its_long_syntax(short, long):
    same(f"""
        services:
          caddy:
            ports: {short}
        """, f"""
        services:
          caddy:
            ports: {long}
        """)


def test_an_unquoted_short_port_is_read_as_a_string_not_base_60():
    same("""
        services:
          caddy:
            ports:
              - 22:22
              - 8080:80
        """, """
        services:
          caddy:
            ports: ["22:22", "8080:80"]
        """)


def test_a_changed_port_differs_as_a_whole_list():
    d = only("""
        services:
          caddy:
            ports: ["80:80", "443:443"]
        """, """
        services:
          caddy:
            ports: ["8080:80", "443:443"]
        """)
    assert (d.pointer, d.kind) == ("/services/caddy/ports", "changed")
    assert d.before[0]["published"] == "80" and d.after[0]["published"] == "8080"
    assert len(d.before) == len(d.after) == 2


def test_tcp_and_udp_on_the_same_port_are_not_equivalent():
    d = only("""
        services:
          rtc:
            ports: ["3478:3478"]
        """, """
        services:
          rtc:
            ports: ["3478:3478/udp"]
        """)
    assert d.pointer == "/services/rtc/ports"


# --- environment and labels ------------------------------------------------------------

# (field, list form, the map form compose reads it as), each as block lines under the field
KV_SPELLINGS = {
    "an environment list equals a map": (
        "environment", "- HF_HOME=/models/hf\n- LOG_LEVEL=info", "HF_HOME: /models/hf\nLOG_LEVEL: info"),
    "an unquoted float is stringified as compose does": (
        "environment", "- VLLM_GPU_MEMORY_UTILIZATION=0.6", "VLLM_GPU_MEMORY_UTILIZATION: 0.60"),
    "booleans and integers are stringified as compose does": (
        "environment", "- DEBUG=true\n- WORKERS=4\n- OFF_VALUE=false", "DEBUG: true\nWORKERS: 4\nOFF_VALUE: false"),
    "yes and no stay strings": (
        "environment", "- VERBOSE=yes\n- COLOR=no\n- SWITCH=on", "VERBOSE: yes\nCOLOR: no\nSWITCH: on"),
    "a date stays the string written": ("environment", "- RELEASED=2026-04-24", "RELEASED: 2026-04-24"),
    "a bare name equals a null value": ("environment", "- HF_TOKEN", "HF_TOKEN:"),
    "an empty assignment equals an empty string": ("environment", "- EXTRA=", 'EXTRA: ""'),
    "a labels list equals a map in another order": (
        "labels", "- com.example.team=voice\n- com.example.tier=edge", "com.example.tier: edge\ncom.example.team: voice"),
    "a label without a value equals an empty label": ("labels", "- com.example.public", 'com.example.public: ""'),
}


def _service_with(field: str, lines: str) -> str:
    return f"services:\n  agent:\n    {field}:\n" + "".join(f"      {line}\n" for line in lines.split("\n"))


@pytest.mark.parametrize("field, as_list, as_map", KV_SPELLINGS.values(), ids=list(KV_SPELLINGS))
def test_a_list_of_assignments_equals_its_map(field, as_list, as_map):
    same(_service_with(field, as_list), _service_with(field, as_map))


def test_an_empty_value_is_not_the_same_as_a_value_taken_from_the_shell():
    d = only("""
        services:
          agent:
            environment:
              - EXTRA=
        """, """
        services:
          agent:
            environment:
              - EXTRA
        """)
    assert d.pointer == "/services/agent/environment/EXTRA"


def test_a_changed_environment_value_is_reported_at_its_key():
    d = only("""
        services:
          vllm-voxtral:
            environment:
              VLLM_GPU_MEMORY_UTILIZATION: "0.60"
        """, """
        services:
          vllm-voxtral:
            environment:
              - VLLM_GPU_MEMORY_UTILIZATION=0.55
        """)
    assert d.pointer == "/services/vllm-voxtral/environment/VLLM_GPU_MEMORY_UTILIZATION"
    assert (d.kind, d.before, d.after, d.secret) == ("changed", "0.60", "0.55", False)


def test_an_unquoted_float_is_shown_as_compose_stringifies_it():
    d = only("""
        services:
          tts:
            environment:
              UTIL: 0.60
        """, """
        services:
          tts:
            environment:
              UTIL: 0.55
        """)
    assert (d.before, d.after) == ("0.6", "0.55")


def test_an_environment_key_added_live_is_kind_added():
    d = only("""
        services:
          agent:
            environment:
              A: "1"
        """, """
        services:
          agent:
            environment:
              A: "1"
              B: "2"
        """)
    assert (d.pointer, d.kind, d.before, d.after) == ("/services/agent/environment/B", "added", None, "2")


def test_an_environment_key_removed_live_is_kind_removed():
    d = only("""
        services:
          agent:
            environment:
              A: "1"
              B: "2"
        """, """
        services:
          agent:
            environment:
              A: "1"
        """)
    assert (d.pointer, d.kind, d.before, d.after) == ("/services/agent/environment/B", "removed", "2", None)


def test_labels_absent_in_main_are_reported_key_by_key():
    found = divergences("""
        services:
          caddy:
            image: caddy:2
        """, """
        services:
          caddy:
            image: caddy:2
            labels:
              com.example.team: voice
              com.example.tier: edge
        """)
    assert sorted((d.pointer, d.kind, d.before, d.after) for d in found) == [
        ("/services/caddy/labels/com.example.team", "added", None, "voice"),
        ("/services/caddy/labels/com.example.tier", "added", None, "edge"),
    ]


def test_a_healthcheck_removed_live_is_reported_key_by_key():
    found = divergences("""
        services:
          caddy:
            image: caddy:2
            healthcheck:
              test: wget -q -O- http://127.0.0.1/healthz
              interval: 30s
        """, """
        services:
          caddy:
            image: caddy:2
        """)
    assert sorted((d.pointer, d.kind) for d in found) == [
        ("/services/caddy/healthcheck/interval", "removed"),
        ("/services/caddy/healthcheck/test", "removed"),
    ]


def test_a_key_with_a_slash_or_tilde_is_escaped_in_the_pointer():
    d = only("""
        services:
          caddy:
            labels:
              traefik/http~rule: a
        """, """
        services:
          caddy:
            labels:
              traefik/http~rule: b
        """)
    assert d.pointer == "/services/caddy/labels/traefik~1http~0rule"


# --- command, entrypoint, healthcheck ------------------------------------------------

def test_a_string_command_equals_its_shell_word_list():
    same("""
        services:
          stt:
            command: vllm serve openai/whisper-large-v3-turbo --port 8001
        """, """
        services:
          stt:
            command: ["vllm", "serve", "openai/whisper-large-v3-turbo", "--port", "8001"]
        """)


def test_a_folded_multi_line_command_equals_its_word_list():
    same("""
        services:
          stt:
            command: >-
              vllm serve openai/whisper-large-v3-turbo
              --gpu-memory-utilization 0.40
        """, """
        services:
          stt:
            command:
              - vllm
              - serve
              - openai/whisper-large-v3-turbo
              - --gpu-memory-utilization
              - "0.40"
        """)


def test_a_quoted_argument_in_a_string_command_is_one_word():
    same("""
        services:
          agent:
            command: sh -c "python agent.py start"
        """, """
        services:
          agent:
            command: ["sh", "-c", "python agent.py start"]
        """)


def test_a_string_entrypoint_equals_its_word_list():
    same("""
        services:
          agent:
            entrypoint: /usr/bin/tini -- python
        """, """
        services:
          agent:
            entrypoint:
              - /usr/bin/tini
              - --
              - python
        """)


def test_an_unquoted_number_in_a_command_list_equals_the_quoted_string():
    same("""
        services:
          tts:
            command: ["--port", "8000"]
        """, """
        services:
          tts:
            command: ["--port", 8000]
        """)


def test_a_changed_command_differs_as_a_whole_list():
    d = only("""
        services:
          vllm-voxtral:
            command: ["vllm", "serve", "--gpu-memory-utilization", "0.60"]
        """, """
        services:
          vllm-voxtral:
            command: ["vllm", "serve", "--gpu-memory-utilization", "0.55"]
        """)
    assert (d.pointer, d.kind) == ("/services/vllm-voxtral/command", "changed")
    assert d.before == ["vllm", "serve", "--gpu-memory-utilization", "0.60"]
    assert d.after == ["vllm", "serve", "--gpu-memory-utilization", "0.55"]


def test_a_string_healthcheck_test_equals_cmd_shell_form():
    same("""
        services:
          stt:
            healthcheck:
              test: curl -fsS http://127.0.0.1:8001/health || exit 1
        """, """
        services:
          stt:
            healthcheck:
              test: ["CMD-SHELL", "curl -fsS http://127.0.0.1:8001/health || exit 1"]
        """)


def test_cmd_and_cmd_shell_healthchecks_are_not_equivalent():
    d = only("""
        services:
          caddy:
            healthcheck:
              test: ["CMD", "wget", "-q", "http://127.0.0.1:8080/healthz"]
        """, """
        services:
          caddy:
            healthcheck:
              test: wget -q http://127.0.0.1:8080/healthz
        """)
    assert (d.pointer, d.kind) == ("/services/caddy/healthcheck/test", "changed")


def test_a_changed_healthcheck_port_is_reported_at_the_test():
    d = only("""
        services:
          caddy:
            healthcheck:
              test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/healthz"]
              interval: 30s
        """, """
        services:
          caddy:
            healthcheck:
              test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:80/healthz"]
              interval: 30s
        """)
    assert d.pointer == "/services/caddy/healthcheck/test"
    assert d.after[-1] == "http://127.0.0.1:80/healthz"


def test_disable_true_equals_test_none():
    same("""
        services:
          caddy:
            healthcheck:
              disable: true
        """, """
        services:
          caddy:
            healthcheck:
              test: ["NONE"]
        """)


# --- durations and sizes ---------------------------------------------------------------

@pytest.mark.parametrize("a, b", [("90s", "1m30s"), ("120s", "2m"), ("1h", "60m"), ("1500ms", "1.5s"), ("0s", "0")])
def test_durations_compare_by_value(a, b):
    same(f"""
        services:
          tts:
            healthcheck:
              interval: {a}
        """, f"""
        services:
          tts:
            healthcheck:
              interval: {b}
        """)


def test_a_bare_number_duration_is_seconds():
    same("""
        services:
          tts:
            healthcheck:
              start_period: 120
        """, """
        services:
          tts:
            healthcheck:
              start_period: 2m
        """)


def test_stop_grace_period_compares_by_value():
    same("""
        services:
          tts:
            stop_grace_period: 1m30s
        """, """
        services:
          tts:
            stop_grace_period: 90s
        """)


def test_a_changed_duration_is_shown_in_go_spelling():
    d = only("""
        services:
          tts:
            healthcheck:
              start_period: 120s
        """, """
        services:
          tts:
            healthcheck:
              start_period: 90s
        """)
    assert (d.pointer, d.before, d.after) == ("/services/tts/healthcheck/start_period", "2m0s", "1m30s")


def test_memory_sizes_compare_by_value():
    same("""
        services:
          tts:
            shm_size: 1g
            deploy:
              resources:
                limits:
                  memory: 2048m
        """, """
        services:
          tts:
            shm_size: 1024M
            deploy:
              resources:
                limits:
                  memory: 2g
        """)


def test_deploy_cpus_compare_by_value():
    # The compose documentation itself writes `cpus: '0.50'`; compose reads it as the number 0.5.
    same("""
        services:
          tts:
            deploy:
              resources:
                limits:
                  cpus: '0.50'
        """, """
        services:
          tts:
            deploy:
              resources:
                limits:
                  cpus: 0.5
        """)


def test_service_cpus_compare_by_value():
    same("""
        services:
          tts:
            cpus: "1.5"
        """, """
        services:
          tts:
            cpus: 1.5
        """)


def test_extra_hosts_list_equals_map():
    same("""
        services:
          agent:
            extra_hosts: ["host.docker.internal:host-gateway"]
        """, """
        services:
          agent:
            extra_hosts:
              host.docker.internal: host-gateway
        """)


def test_gpu_count_all_equals_minus_one():
    same("""
        services:
          tts:
            deploy:
              resources:
                reservations:
                  devices:
                    - {driver: nvidia, count: all, capabilities: [gpu]}
        """, """
        services:
          tts:
            deploy:
              resources:
                reservations:
                  devices:
                    - {driver: nvidia, count: -1, capabilities: [gpu]}
        """)


# --- cosmetic differences ----------------------------------------------------------

def test_reordered_keys_comments_and_quoting_are_cosmetic():
    same("""
        # main
        name: voice
        services:
          caddy:
            image: caddy:2.8.4-alpine
            restart: unless-stopped
          tts:
            image: "vllm/vllm-omni:v0.11.0"
        """, """
        services:
          tts:
            image: 'vllm/vllm-omni:v0.11.0'   # pinned
          caddy:
            # edge proxy
            restart: "unless-stopped"
            image: caddy:2.8.4-alpine
        name: 'voice'
        """)


def test_flow_and_block_style_are_cosmetic():
    same("""
        services:
          caddy: {image: caddy:2, restart: always}
        """, """
        services:
          caddy:
            image: caddy:2
            restart: always
        """)


def test_the_obsolete_version_key_is_ignored():
    same("""
        version: "3.8"
        services:
          caddy:
            image: caddy:2
        """, """
        services:
          caddy:
            image: caddy:2
        """)


def test_a_named_volume_with_null_equals_an_empty_mapping():
    same("""
        services:
          tts: {image: x}
        volumes:
          models:
        """, """
        services:
          tts: {image: x}
        volumes:
          models: {}
        """)


def test_an_empty_top_level_volumes_mapping_equals_no_volumes_key():
    same("""
        services:
          tts: {image: x}
        volumes: {}
        """, """
        services:
          tts: {image: x}
        """)


def test_an_empty_top_level_networks_mapping_equals_no_networks_key():
    same("""
        services:
          tts: {image: x}
        """, """
        services:
          tts: {image: x}
        networks: {}
        """)


def test_a_null_top_level_volumes_key_equals_no_volumes_key():
    same("""
        services:
          tts: {image: x}
        volumes:
        """, """
        services:
          tts: {image: x}
        """)


def test_service_networks_list_equals_map_with_null_values():
    same("""
        services:
          tts:
            networks: [default]
        """, """
        services:
          tts:
            networks:
              default:
        """)


def test_service_networks_map_with_null_equals_map_with_empty_settings():
    same("""
        services:
          tts:
            networks:
              default: null
        """, """
        services:
          tts:
            networks:
              default: {}
        """)


@pytest.mark.parametrize("empty", ["null", "{}", "[]"])
def test_empty_environment_and_labels_equal_their_absence(empty):
    same(f"""
        services:
          tts:
            image: x
            environment: {empty}
            labels: {empty}
        """, """
        services:
          tts:
            image: x
        """)


@pytest.mark.parametrize("spelling", [
    "\n                condition: service_started\n                required: true",
    "",  # a null entry
], ids=["map with the default condition", "map with a null entry"])
def test_depends_on_list_equals_its_map_spellings(spelling):
    same("""
        services:
          caddy:
            depends_on: [voice-agent]
          voice-agent: {image: x}
        """, f"""
        services:
          caddy:
            depends_on:
              voice-agent:{spelling}
          voice-agent: {{image: x}}
        """)


def test_a_changed_depends_on_condition_is_reported_at_the_condition():
    d = only("""
        services:
          agent:
            depends_on:
              tts: {condition: service_started}
          tts: {image: x}
        """, """
        services:
          agent:
            depends_on:
              tts: {condition: service_healthy}
          tts: {image: x}
        """)
    assert (d.pointer, d.before, d.after) == ("/services/agent/depends_on/tts/condition", "service_started", "service_healthy")


def test_a_dependency_added_live_is_one_divergence_at_the_dependency():
    d = only("""
        services:
          agent: {image: x}
          db: {image: y}
        """, """
        services:
          agent:
            image: x
            depends_on: [db]
          db: {image: y}
        """)
    assert (d.pointer, d.kind, d.after) == (
        "/services/agent/depends_on/db", "added", {"condition": "service_started", "required": True})


def test_a_dependency_removed_live_is_one_divergence_at_the_dependency():
    d = only("""
        services:
          agent:
            image: x
            depends_on:
              db: {condition: service_healthy}
              tts: {condition: service_started}
          db: {image: y}
          tts: {image: z}
        """, """
        services:
          agent:
            image: x
            depends_on: [tts]
          db: {image: y}
          tts: {image: z}
        """)
    assert (d.pointer, d.kind, d.after) == ("/services/agent/depends_on/db", "removed", None)


def test_a_network_given_to_a_service_live_is_one_divergence_at_the_network():
    found = divergences("""
        services:
          tts:
            image: x
            networks: [default]
        networks:
          edge:
        """, """
        services:
          tts:
            image: x
            networks: [default, edge]
        networks:
          edge:
        """)
    assert summary(found) == [("/services/tts/networks/edge", "added", None, {})]


def test_a_network_given_to_a_service_without_networks_adds_that_network_only():
    # Without `networks:` a service is on the default network, as with `networks: [default]`.
    d = only("""
        services:
          tts: {image: x}
        """, """
        services:
          tts:
            image: x
            networks: [default, edge]
        """)
    assert (d.pointer, d.kind) == ("/services/tts/networks/edge", "added")


def test_the_default_network_alone_equals_no_networks():
    same("""
        services:
          tts:
            image: x
            networks: [default]
        """, """
        services:
          tts: {image: x}
        """)


@pytest.mark.parametrize("flag", ["read_only", "privileged", "tty", "stdin_open", "oom_kill_disable"])
def test_a_false_flag_equals_its_absence(flag):
    # `docker compose config` prints these only when true.
    same("""
        services:
          tts: {image: x}
        """, f"""
        services:
          tts:
            image: x
            {flag}: false
        """)


def test_init_false_differs_from_no_init():
    # compose prints `init: false` (it overrides the daemon's default), so it is a setting.
    d = only("""
        services:
          tts: {image: x}
        """, """
        services:
          tts:
            image: x
            init: false
        """)
    assert (d.pointer, d.kind, d.after) == ("/services/tts/init", "added", False)


def test_false_mount_and_build_flags_equal_their_absence():
    same("""
        services:
          tts:
            build: ./agent
            volumes:
              - {type: volume, source: models, target: /models}
        volumes:
          models:
        """, """
        services:
          tts:
            build: {context: ./agent, no_cache: false, pull: false}
            volumes:
              - {type: volume, source: models, target: /models, read_only: false, volume: {nocopy: false}}
        volumes:
          models: {external: false}
        """)


def test_build_string_equals_build_context_mapping():
    same("""
        services:
          voice-agent:
            build: ./agent
        """, """
        services:
          voice-agent:
            build:
              context: ./agent
        """)


def test_build_context_without_dot_slash_equals_with():
    same("""
        services:
          voice-agent:
            build: {context: agent, dockerfile: Dockerfile}
        """, """
        services:
          voice-agent:
            build: {context: ./agent/}
        """)


X_GPU = """
        x-gpu: &gpu
          deploy:
            resources:
              reservations:
                devices:
                  - {driver: nvidia, device_ids: ["0"], capabilities: [gpu]}
        """


def test_a_merge_key_equals_the_expanded_mapping():
    same(X_GPU + """
        services:
          tts:
            <<: *gpu
            image: vllm/vllm-omni:v0.11.0
        """, X_GPU + """
        services:
          tts:
            image: vllm/vllm-omni:v0.11.0
            deploy:
              resources:
                reservations: {devices: [{driver: nvidia, device_ids: ["0"], capabilities: [gpu]}]}
        """)


def test_a_short_bind_mount_equals_its_long_syntax():
    same("""
        services:
          caddy:
            volumes:
              - ./caddy/Caddyfile:/etc/caddy/Caddyfile:ro
              - caddy-data:/data
        """, """
        services:
          caddy:
            volumes:
              - type: bind
                source: ./caddy/Caddyfile
                target: /etc/caddy/Caddyfile
                read_only: true
                bind: {create_host_path: true}
              - {type: volume, source: caddy-data, target: /data}
        """)


def test_env_file_string_equals_its_list_form():
    same("""
        services:
          agent:
            env_file: .env
        """, """
        services:
          agent:
            env_file: [.env]
        """)


# --- whole services and the x-drift extension ------------------------------------------

def test_a_service_added_live_is_one_divergence_at_the_service():
    d = only("""
        services:
          caddy: {image: caddy:2}
        """, """
        services:
          caddy: {image: caddy:2}
          redis:
            image: redis:7
            environment: [MAXMEMORY=1g]
        """)
    assert (d.pointer, d.kind, d.before) == ("/services/redis", "added", None)
    assert d.after == {"image": "redis:7", "environment": {"MAXMEMORY": "1g"}}


def test_a_service_removed_live_is_one_divergence_at_the_service():
    d = only("""
        services:
          caddy: {image: caddy:2}
          redis: {image: redis:7, restart: always}
        """, """
        services:
          caddy: {image: caddy:2}
        """)
    assert (d.pointer, d.kind, d.after) == ("/services/redis", "removed", None)
    assert d.before == {"image": "redis:7", "restart": "always"}


def test_a_named_volume_added_live_for_a_service_is_one_divergence_beside_its_use():
    found = divergences("""
        services:
          tts: {image: x, volumes: [models:/models]}
        volumes:
          models:
        """, """
        services:
          tts: {image: x, volumes: [models:/models, hf-cache:/cache]}
        volumes:
          models:
          hf-cache:
            driver: local
        """)
    assert [(d.pointer, d.kind) for d in found] == [("/services/tts/volumes", "changed"), ("/volumes/hf-cache", "added")]
    assert found[1].after == {"driver": "local"}


def test_a_changed_image_is_reported_at_the_image():
    d = only("""
        services:
          tts: {image: "vllm/vllm-omni:v0.11.0"}
        """, """
        services:
          tts: {image: "vllm/vllm-omni:v0.11.1"}
        """)
    assert (d.pointer, d.kind, d.before, d.after) == (
        "/services/tts/image", "changed", "vllm/vllm-omni:v0.11.0", "vllm/vllm-omni:v0.11.1")


def test_a_top_level_section_added_live_is_one_divergence_per_entry():
    found = divergences("""
        services:
          agent: {image: x}
        """, """
        services:
          agent: {image: x, secrets: [livekit, openai]}
        secrets:
          livekit: {file: ./secrets/livekit.txt}
          openai: {environment: OPENAI_API_KEY}
        """)
    assert [(d.pointer, d.kind) for d in found] == [
        ("/services/agent/secrets", "added"), ("/secrets/livekit", "added"), ("/secrets/openai", "added")]


def test_a_service_x_drift_ignore_hides_that_key_only():
    found = divergences("""
        services:
          caddy:
            image: caddy:2
            labels: {com.example.deployed-at: "2026-04-01"}
            x-drift:
              ignore: [labels/com.example.deployed-at]
        """, """
        services:
          caddy:
            image: caddy:3
            labels: {com.example.deployed-at: "2026-04-24"}
        """)
    assert [d.pointer for d in found] == ["/services/caddy/image"]


def test_a_top_level_x_drift_ignore_is_absolute_and_takes_globs():
    found = divergences("""
        x-drift:
          ignore: ["/services/*/labels/**"]
        services:
          caddy:
            image: caddy:2
            labels: {a: "1"}
          tts:
            labels: {b: "1"}
        """, """
        services:
          caddy:
            image: caddy:2
            labels: {a: "2"}
          tts:
            labels: {b: "2", c: "3"}
        """)
    assert found == []


def test_the_x_drift_extension_itself_is_not_a_divergence():
    same("""
        services:
          caddy:
            image: caddy:2
            x-drift: {ignore: [labels]}
        """, """
        services:
          caddy:
            image: caddy:2
        """)


def test_an_x_drift_ignore_may_be_one_glob():
    assert drift_ignores(load_compose("services:\n  caddy:\n    x-drift: {ignore: labels/*}\n")) == [
        "/services/caddy/labels/*"]


def test_drift_ignores_reads_top_level_and_service_rules():
    doc = load_compose(dedent("""
        x-drift: {ignore: ["services/*/image"]}
        services:
          caddy:
            x-drift: {ignore: ["/labels/*", "healthcheck/interval"]}
        """))
    assert drift_ignores(doc) == [
        "/services/*/image",
        "/services/caddy/labels/*",
        "/services/caddy/healthcheck/interval",
    ]


# --- secrets ----------------------------------------------------------------------------

def test_a_secret_reference_in_main_against_a_real_token_live_is_no_divergence():
    same("""
        services:
          tts:
            environment:
              HF_TOKEN: ${HF_TOKEN}
        """, f"""
        services:
          tts:
            environment:
              HF_TOKEN: {FAKE_HF}
        """)


def test_a_rotated_secret_is_no_divergence():
    same("""
        services:
          agent:
            environment:
              - LIVEKIT_API_SECRET=old-s3cr3t-value
        """, """
        services:
          agent:
            environment:
              - LIVEKIT_API_SECRET=new-s3cr3t-value
        """)


def test_a_secret_added_live_is_reported_added_and_redacted():
    d = only("""
        services:
          agent:
            environment:
              LOG_LEVEL: info
        """, f"""
        services:
          agent:
            environment:
              LOG_LEVEL: info
              OPENAI_API_KEY: {FAKE_OPENAI}
        """)
    assert (d.pointer, d.kind, d.secret) == ("/services/agent/environment/OPENAI_API_KEY", "added", True)
    assert d.after.startswith("<redacted") and "AbCdEf" not in d.after


def test_a_change_to_the_top_level_secrets_section_is_a_divergence():
    # `secrets:` names files that hold secrets; the file names themselves are plain config.
    d = only("""
        services:
          agent: {image: x, secrets: [livekit]}
        secrets:
          livekit:
            file: ./secrets/livekit.txt
        """, """
        services:
          agent: {image: x, secrets: [livekit]}
        secrets:
          livekit:
            file: ./secrets/livekit-prod.txt
        """)
    assert (d.pointer, d.before, d.after, d.secret) == (
        "/secrets/livekit/file", "./secrets/livekit.txt", "./secrets/livekit-prod.txt", False)


def test_a_secret_granted_to_a_service_live_is_a_divergence():
    d = only("""
        services:
          agent:
            image: x
            secrets: [livekit]
        """, """
        services:
          agent:
            image: x
            secrets: [livekit, openai]
        """)
    assert (d.pointer, d.kind) == ("/services/agent/secrets", "changed")


def test_changes_inside_a_service_named_like_a_secret_are_reported():
    d = only("""
        services:
          livekit-token-server:
            image: livekit/token-server:1.0
        """, """
        services:
          livekit-token-server:
            image: livekit/token-server:1.1
        """)
    assert (d.pointer, d.after) == ("/services/livekit-token-server/image", "livekit/token-server:1.1")


def test_a_token_count_setting_is_compared_by_value():
    d = only("""
        services:
          vllm-voxtral:
            environment:
              VLLM_MAX_NUM_BATCHED_TOKENS: "8192"
        """, """
        services:
          vllm-voxtral:
            environment:
              VLLM_MAX_NUM_BATCHED_TOKENS: "4096"
        """)
    assert (d.before, d.after, d.secret) == ("8192", "4096", False)


def test_a_secret_variable_of_a_service_named_like_a_secret_is_still_compared_by_presence():
    same("""
        services:
          livekit-token-server:
            environment: {LIVEKIT_API_SECRET: old-s3cr3t-value}
        """, """
        services:
          livekit-token-server:
            environment: {LIVEKIT_API_SECRET: new-s3cr3t-value}
        """)


def test_a_build_arg_under_a_secret_name_is_compared_by_presence():
    same("""
        services:
          agent:
            build: {context: ./agent, args: {PIP_INDEX_PASSWORD: first-value}}
        """, """
        services:
          agent:
            build:
              context: ./agent
              args: [PIP_INDEX_PASSWORD=second-value]
        """)


def test_a_secret_in_a_flow_style_environment_does_not_break_the_file():
    text = "services:\n  agent:\n    image: x\n    environment: {LOG_LEVEL: info, API_KEY: plainvalue}\n"
    found, errors = _FILE.compared(text, text)
    assert (found, errors) == ([], [])


# --- errors -----------------------------------------------------------------------------

def test_malformed_live_yaml_is_a_file_error_with_line_and_column():
    found, errors = _FILE.compared("services: {}\n", "services:\n  a:\n    image: [x\n")
    assert found == [] and len(errors) == 1
    assert errors[0].file == COMPOSE
    assert "live" in errors[0].message
    assert "line " in errors[0].message and "column " in errors[0].message


def test_malformed_yaml_in_main_is_a_file_error_naming_main():
    found, errors = _FILE.compared("services:\n  a: [\n", "services: {}\n")
    assert found == [] and len(errors) == 1
    assert "in main" in errors[0].message
    assert "line " in errors[0].message and "column " in errors[0].message


@pytest.mark.parametrize("field", [
    "depends_on: {tts: 5}",
    "extra_hosts: 1.5",
    "x-drift: {ignore: 5}",
])
def test_a_field_compose_would_refuse_is_a_file_error_not_a_crash(field):
    found, errors = _FILE.compared("services:\n  caddy: {image: x}\n", f"services:\n  caddy:\n    image: x\n    {field}\n")
    assert found == [] and len(errors) == 1 and errors[0].file == COMPOSE


def test_a_self_referencing_alias_is_a_file_error_not_a_crash():
    live = "services:\n  caddy: &svc\n    image: x\n    self: *svc\n"
    found, errors = _FILE.compared("services:\n  caddy: {image: x}\n", live)
    assert found == [] and len(errors) == 1


def test_a_key_given_twice_is_a_file_error_as_compose_refuses_it():
    found, errors = _FILE.compared("services:\n  caddy: {image: x}\n",
                                   "services:\n  caddy:\n    image: x\n    image: y\n")
    assert found == [] and len(errors) == 1
    assert "already defined" in errors[0].message and "line 4" in errors[0].message


def test_an_error_names_its_place_once():
    with pytest.raises(ComposeParseError) as info:
        load_compose("services:\n  caddy: [\n")
    assert len(re.findall(r"line \d+, column \d+", str(info.value))) == 1, str(info.value)


def test_a_top_level_list_is_not_a_compose_file():
    with pytest.raises(ComposeParseError, match="not a mapping"):
        load_compose("- a\n- b\n")


def test_services_that_is_not_a_mapping_is_an_error():
    with pytest.raises(ComposeParseError, match="services"):
        load_compose("services: [a, b]\n")


def test_an_empty_compose_file_loads_as_an_empty_document():
    assert load_compose("") == {}


# --- the pieces: normalize, walk, pointer, locate_line, go_string, durations ------------

def test_normalize_drops_version_and_x_drift():
    assert normalize({"version": "3", "x-drift": {"ignore": []}, "name": "voice"}) == {"name": "voice"}


def test_walk_yields_the_deepest_differing_mapping_key():
    a = {"services": {"s": {"healthcheck": {"interval": "15s", "retries": 3}}}}
    b = {"services": {"s": {"healthcheck": {"interval": "30s", "retries": 3}}}}
    assert list(walk(a, b)) == [(("services", "s", "healthcheck", "interval"), "changed", "15s", "30s")]


def test_walk_treats_a_list_as_a_whole():
    a = {"services": {"s": {"command": ["a", "b"]}}}
    b = {"services": {"s": {"command": ["a", "c"]}}}
    assert list(walk(a, b)) == [(("services", "s", "command"), "changed", ["a", "b"], ["a", "c"])]


def test_walk_of_equal_documents_yields_nothing():
    doc = {"services": {"s": {"image": "x", "command": ["a"]}}}
    assert list(walk(doc, doc)) == []


def test_pointer_escapes_tilde_before_slash():
    assert pointer(("services", "a/b", "c~d", "~1")) == "/services/a~1b/c~0d/~01"


def test_pointer_of_the_empty_path_is_the_whole_document():
    assert pointer(()) == ""


def test_locate_line_finds_a_nested_key():
    text = dedent("""\
        services:
          caddy:
            image: caddy:2
          tts:
            image: vllm
            environment:
              HF_HOME: /models
        """)
    assert locate_line(text, ("services", "tts", "image")) == 5
    assert locate_line(text, ("services", "tts", "environment", "HF_HOME")) == 7


def test_locate_line_finds_a_list_form_environment_entry():
    text = dedent("""\
        services:
          tts:
            environment:
              - A=1
              - HF_HOME=/models
        """)
    assert locate_line(text, ("services", "tts", "environment", "HF_HOME")) == 5


def test_locate_line_falls_back_to_the_nearest_enclosing_key():
    text = dedent("""\
        services:
          tts:
            environment: {A: "1"}
        """)
    assert locate_line(text, ("services", "tts", "environment", "A")) == 3


def test_a_divergence_carries_the_line_in_the_live_file():
    d = only("""
        services:
          caddy:
            restart: always
          tts:
            image: a
        """, """
        # live copy, edited on the host
        services:
          caddy:
            # the proxy
            restart: always
          tts:
            image: b
        """)
    assert d.pointer == "/services/tts/image"
    assert d.line == 8


def test_a_removal_carries_the_line_in_main():
    d = only("""
        services:
          tts:
            image: a
            restart: always
        """, """
        services:
          tts:
            image: a
        """)
    assert (d.kind, d.line) == ("removed", 5)


@pytest.mark.parametrize("value, expected", [
    (None, None),
    (True, "true"),
    (False, "false"),
    (0.6, "0.6"),
    (0.60, "0.6"),
    (1.0, "1"),
    (1e6, "1e+06"),
    (123456.0, "123456"),
    (1e-5, "1e-05"),
    (0.0001, "0.0001"),
    (42, "42"),
    ("x", "x"),
])
def test_go_string_prints_scalars_as_go_fmt_does(value, expected):
    assert go_string(value) == expected


@pytest.mark.parametrize("text, ns", [
    ("90s", 90 * 10**9),
    ("1m30s", 90 * 10**9),
    ("1.5h", 5400 * 10**9),
    ("500ms", 500 * 10**6),
    ("2us", 2000),
    ("2µs", 2000),
    ("0", 0),
    ("-5s", -5 * 10**9),
    (120, 120 * 10**9),
])
def test_parse_duration_reads_go_durations(text, ns):
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "abc", "5", "5x", "s", "1m 30s", True, None])
def test_parse_duration_refuses_what_is_not_a_duration(text):
    assert parse_duration(text) is None


@pytest.mark.parametrize("ns, text", [
    (0, "0s"),
    (90 * 10**9, "1m30s"),
    (3600 * 10**9, "1h0m0s"),
    (1500 * 10**6, "1.5s"),
    (500 * 10**6, "500ms"),
    (2000, "2µs"),
    (7, "7ns"),
    (-90 * 10**9, "-1m30s"),
])
def test_format_duration_prints_as_go_does(ns, text):
    assert format_duration(ns) == text


# --- typed fields, as compose's loader converts them (types from the specification's schema) ---

# (name, main, live): spellings compose reads as one value, at every depth.
TYPED_SPELLINGS = {
    "quoted retries": ("healthcheck: {retries: 3}", 'healthcheck: {retries: "3"}'),
    "quoted init": ("init: true", 'init: "true"'),
    "init spelt yes": ("init: true", 'init: "Yes"'),
    "quoted read_only false is no read_only": ("image: x", 'read_only: "false"\n    image: x'),
    "quoted privileged": ("privileged: true", 'privileged: "true"'),
    "quoted attach": ("attach: false", 'attach: "false"'),
    "quoted replicas": ("deploy: {replicas: 2}", 'deploy: {replicas: "2"}'),
    "quoted build no_cache": ("build: {context: ., no_cache: true}", 'build: {context: ., no_cache: "true"}'),
    "quoted tmpfs size and its units": ("volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1024}}]",
                                        'volumes: [{type: tmpfs, target: /t, tmpfs: {size: "1k"}}]'),
    "quoted device count": ("deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}",
                            'deploy: {resources: {reservations: {devices: [{count: "1", capabilities: [gpu]}]}}}'),
    "quoted cpu_shares": ("cpu_shares: 512", 'cpu_shares: "512"'),
    "quoted cpu_period": ("cpu_period: 100000", 'cpu_period: "100000"'),
    "quoted pids limit": ("deploy: {resources: {limits: {pids: 5}}}", 'deploy: {resources: {limits: {pids: "5"}}}'),
    "quoted pids_limit": ("pids_limit: 5", 'pids_limit: "5"'),
    "quoted dependency restart": ("depends_on: {db: {condition: service_started, restart: true}}",
                                  'depends_on: {db: {condition: service_started, restart: "true"}}'),
    "restart policy delay": ("deploy: {restart_policy: {delay: 5s}}", "deploy: {restart_policy: {delay: 5000ms}}"),
    "update delay and monitor": ("deploy: {update_config: {delay: 5s, monitor: 1m}}",
                                 "deploy: {update_config: {delay: 5000ms, monitor: 60s}}"),
    "rollback monitor": ("deploy: {rollback_config: {monitor: 90s}}", "deploy: {rollback_config: {monitor: 1m30s}}"),
    "deploy labels list and map": ("deploy: {labels: {a: b, c: ''}}", "deploy: {labels: [a=b, c]}"),
    "watch exec command string and list": (
        "develop: {watch: [{path: ./a, action: sync+exec, target: /a, exec: {command: [echo, hi]}}]}",
        'develop: {watch: [{path: ./a, action: sync+exec, target: /a, exec: {command: "echo hi"}}]}'),
    "build shm_size units": ("build: {context: ., shm_size: 2147483648}", "build: {context: ., shm_size: 2g}"),
    "quoted ulimit": ("ulimits: {nofile: {soft: 1024, hard: 2048}}", 'ulimits: {nofile: {soft: "1024", hard: "2048"}}'),
    "quoted max_failure_ratio": ("deploy: {update_config: {max_failure_ratio: 0.5}}",
                                 'deploy: {update_config: {max_failure_ratio: "0.5"}}'),
}


def _svc(body: str) -> str:
    return f"services:\n  tts:\n    {body}\n"


@pytest.mark.parametrize("main, live", TYPED_SPELLINGS.values(), ids=list(TYPED_SPELLINGS))
def test_a_typed_field_spelt_another_way_compose_accepts_is_no_divergence(main, live):
    same(_svc(main), _svc(live))


@pytest.mark.parametrize("main, live, ptr", [
    ("healthcheck: {retries: 3}", 'healthcheck: {retries: "4"}', "/services/tts/healthcheck/retries"),
    ("init: true", 'init: "false"', "/services/tts/init"),
    ("deploy: {replicas: 2}", 'deploy: {replicas: "3"}', "/services/tts/deploy/replicas"),
    ("deploy: {restart_policy: {delay: 5s}}", "deploy: {restart_policy: {delay: 6s}}",
     "/services/tts/deploy/restart_policy/delay"),
    ("deploy: {labels: {a: b}}", "deploy: {labels: [a=c]}", "/services/tts/deploy/labels/a"),
])
def test_a_real_change_of_a_typed_field_is_still_reported_where_it_is(main, live, ptr):
    assert only(_svc(main), _svc(live)).pointer == ptr


def test_a_typed_field_compose_would_interpolate_stays_as_written():
    d = only(_svc("deploy: {replicas: 2}"), _svc('deploy: {replicas: "${REPLICAS}"}'))
    assert (d.before, d.after) == (2, "${REPLICAS}")


def test_a_build_url_is_a_remote_context_not_a_path():
    doc = normalize(load_compose(_svc("build: https://github.com/docker/rootfs.git#main")))
    assert doc["services"]["tts"]["build"] == {"context": "https://github.com/docker/rootfs.git#main", "dockerfile": "Dockerfile"}
    same(_svc("build: https://github.com/docker/rootfs.git#main"),
         _svc("build: {context: 'https://github.com/docker/rootfs.git#main'}"))


# --- top-level declarations no service uses: compose drops them -----------------------

def test_a_volume_network_secret_or_config_no_service_uses_is_no_divergence():
    same(_svc("image: x"), _svc("image: x") + "volumes:\n  models: {}\nnetworks:\n  backend: {}\n"
         "secrets:\n  old: {file: ./old}\nconfigs:\n  c: {file: ./c}\n")


def test_a_declaration_a_service_starts_using_is_reported_with_that_use():
    found = divergences(_svc("image: x"), _svc("image: x\n    volumes: [models:/models]") + "volumes:\n  models: {}\n")
    assert [(d.pointer, d.kind) for d in found] == [("/services/tts/volumes", "added"), ("/volumes/models", "added")]
