"""tests/secret_corpus.py is data other tests and benchmarks lean on: keep it well-formed."""
from __future__ import annotations

import dataclasses

import pytest

from tests.secret_corpus import NEGATIVES, SHAPES, Shape


def test_the_corpus_holds_at_least_sixty_shapes_and_thirty_negatives():
    assert len(SHAPES) >= 60
    assert len(NEGATIVES) >= 30


@pytest.mark.parametrize("group", [SHAPES, NEGATIVES], ids=["shapes", "negatives"])
def test_names_are_unique_and_entries_are_frozen_shapes(group):
    names = [shape.name for shape in group]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for shape in group:
        assert isinstance(shape, Shape) and shape.name and shape.note
        with pytest.raises(dataclasses.FrozenInstanceError):
            shape.value = "x"  # type: ignore[misc]


def test_no_name_is_both_a_shape_and_a_negative():
    assert not {s.name for s in SHAPES} & {n.name for n in NEGATIVES}


@pytest.mark.parametrize("group", [SHAPES, NEGATIVES], ids=["shapes", "negatives"])
def test_every_value_is_at_least_eight_characters(group):
    short = [shape.name for shape in group if len(shape.value) < 8]
    assert not short


@pytest.mark.parametrize("group", [SHAPES, NEGATIVES], ids=["shapes", "negatives"])
def test_values_are_unique(group):
    values = [shape.value for shape in group]
    assert len(values) == len(set(values))


def test_no_secret_value_is_also_a_negative():
    negatives = {n.value for n in NEGATIVES}
    assert not [s.name for s in SHAPES if s.value in negatives]
    # nor hidden inside one: a negative that contained a secret would make its verdict meaningless
    assert not [(s.name, n.name) for s in SHAPES for n in NEGATIVES if s.value in n.value]


def test_the_required_families_are_all_present():
    names = " ".join(s.name for s in SHAPES)
    for family in ("url_postgres", "url_postgresql", "url_mysql", "url_redis", "url_rediss", "url_amqp",
                   "url_mongodb_srv", "url_https", "url_ftp", "pem_rsa", "pem_ec", "pem_openssh", "pem_dsa",
                   "pem_encrypted", "pem_pkcs8", "pgp_private_key_block", "aws_access_key_id",
                   "aws_secret_access_key", "gcp_service_account", "gcp_api_key", "azure_storage_account_key",
                   "azure_storage_connection_string", "azure_sas", "github_pat_classic", "github_oauth",
                   "github_user_to_server", "github_server_to_server", "github_refresh", "github_fine_grained",
                   "gitlab_personal", "gitlab_deploy", "gitlab_runner", "slack_bot", "slack_user", "slack_app",
                   "slack_webhook", "discord_webhook", "discord_bot", "stripe_secret", "stripe_restricted",
                   "stripe_webhook", "huggingface", "openai_api_key", "openai_project", "anthropic", "npm_",
                   "pypi_", "sendgrid", "twilio_api_key", "twilio_account", "mailgun", "jwt_", "bcrypt_2a",
                   "bcrypt_2b", "bcrypt_2y", "argon2id", "caddy_basic_auth", "docker_registry_auth",
                   "htpasswd_apr1", "hex_40", "hex_64", "base64_"):
        assert family in names, family
