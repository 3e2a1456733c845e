"""A corpus of secret shapes and of look-alikes that are not secrets, for judging redaction.

Plain data, no logic: SHAPES holds values a redactor must hide wherever they appear in a
compose file, a Dockerfile, a Caddyfile or a `.env`; NEGATIVES holds values such files are full of
and that must pass through untouched.

The shapes follow the rule lists public secret scanners publish (gitleaks' default config,
detect-secrets' plugins, trufflehog's detectors, GitHub secret scanning's supported patterns).
Every value below was made up for this file from random characters: none is a real credential and
none is an example value copied from those projects. Checksummed formats (GitHub's CRC32 tail,
npm's) carry random tails, so the vendors' own scanners would reject them as invalid.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    name: str
    value: str
    note: str


SHAPES: tuple[Shape, ...] = (
    # --- credentials inside URLs --------------------------------------------------------------
    Shape("url_postgres_user_password", "postgres://voice_app:nS7Vwt2tqEQWrJKR@db.internal:5432/voice",
          "user and password in userinfo; scheme postgres"),
    Shape("url_postgresql_slash_in_password", "postgresql://agent:lbLb/cQ7M/CdZZ5L@pg-primary:5432/agent",
          "raw '/' inside the password: a naive urlsplit ends the netloc at the first '/'"),
    Shape("url_postgresql_encoded_slash", "postgresql://agent:k3jhD9%2FDBuoORkL@pg-primary:5432/agent?sslmode=require",
          "percent-encoded '/' (%2F) inside the password"),
    Shape("url_mysql_at_in_password", "mysql://root:uqDE@fGGzRbFNKB@mysql:3306/livekit",
          "raw '@' inside the password: the host starts after the LAST '@'"),
    Shape("url_mysql_raw_percent", "mysql://stats:1qcu1Q%MPvm8Zss@mysql-ro:3306/stats",
          "a raw '%' that is not a valid percent-escape inside the password"),
    Shape("url_redis_password_only", "redis://:04WrBPDTUrv560q9SX@redis:6379/0",
          "no user, password only (':pass@')"),
    Shape("url_rediss_encoded_specials", "rediss://default:q9SXCA%40dAH%3AUqr%2Ffx@cache.voice.internal:6380/1",
          "TLS redis; %40 %3A %2F ('@', ':', '/') encoded in the password"),
    Shape("url_amqp_colon_in_password", "amqp://livekit:jQ2r:96AV:TcxS6K@rabbitmq:5672/%2F",
          "raw ':' characters inside the password (only the first ':' splits user from password)"),
    Shape("url_mongodb_srv", "mongodb+srv://stt-writer:HCf91fDXMD1oo5@cluster0.q7x2k.mongodb.net/transcripts?retryWrites=true&w=majority",
          "scheme with '+', no port, query string after the path"),
    Shape("url_https_basic_auth", "https://deploy:yZeXT04CvfjPyT@registry.voice.internal/v2/",
          "HTTP basic credentials in a registry URL"),
    Shape("url_https_token_as_user", "https://x-access-token:IbOFYEOcRqIELc8zRDix@git.voice.internal/ops/voice.git",
          "token in the password slot of a clone URL"),
    Shape("url_https_user_only_token", "https://VDOAVwDBsnJ566lbLbcQ7MCdZZ@git.voice.internal/ops/voice.git",
          "a token alone in the user slot, no ':' and no password"),
    Shape("url_ftp_credentials", "ftp://backup:8zRDix04w7XtJg@ftp.voice.internal/dumps/",
          "ftp scheme with user and password"),
    Shape("url_sentry_dsn", "https://c5783ce7401c8afc3e81a02ea8c2edef@o450912.ingest.sentry.io/5571203",
          "Sentry DSN: the public key sits in the user slot"),
    # --- PEM / PGP private keys ---------------------------------------------------------------
    Shape("pem_rsa_private_key", (
        '-----BEGIN RSA PRIVATE KEY-----\n'
        'MIIEpAIBAAKCAQEAH72dJaXJKj7LvN3++EWUzjER1NynQZ0gO243ijZMe9Rv//Un\n'
        'nEuIPBBFB/uqqPQTjKBZEFhVJQ+E4bkqf3Q6d1qkL+xSjDXvo5y9uqhoIhiTJXMl\n'
        'kM50nXmYjevo6wsgMAy7agLRDEDonyEmtRZGTmpu5sIygmcppflqsXcfdvEUR/Lp\n'
        'QlHAf/z42RRjXfnCsAVPuzWor7M2OuqkCbXgkciS/luB3xcHrx38TOP3/z5Pm1bN\n'
        '-----END RSA PRIVATE KEY-----'
        ),
        "PKCS#1 RSA, multi-line"),
    Shape("pem_ec_private_key", (
        '-----BEGIN EC PRIVATE KEY-----\n'
        'MHcCAQEEIlPEQW9jJfxTZX2j64q+va99PylHeHd08j5wlFQR3NJOhHCWaVnbz1D8\n'
        'dMmMvprMunKwfJ44YVTOlr1lp99G1Kyp2bjxRt99aaj60JR5sAPf7XmieeZ/gx2z\n'
        '471RUCbj0moQsC6gAQxj5aq8F89Kv8HCmLguHDSLl0W=\n'
        '-----END EC PRIVATE KEY-----'
        ),
        "SEC1 EC key"),
    Shape("pem_openssh_private_key", (
        '-----BEGIN OPENSSH PRIVATE KEY-----\n'
        'b3BlbnNzaC1rZXktdjEAAAAA/2hP+JzEXkfi3Puwz81wtE0aO3DLyQxDGJHyGRL/\n'
        'iF/2wqNQs5Lgcu2AeTTyGHg/0/eEMlvx/jJ+GUEczTMb3k4vJiEpsGLrVDbseoMm\n'
        'o7ndy/JUY7ayuKC4ChMGfjITUkx3oHO/FRf+RUSaXS8V/nTHsturKNapt2QCPIIp\n'
        '7fC8YakGD1ElS/q7DSQ+5kD2reAp0QILTTiWABtH2LlmANOoxOAXiCZy/AqlatVZ\n'
        '-----END OPENSSH PRIVATE KEY-----'
        ),
        "openssh-key-v1 (ed25519/rsa keys made by ssh-keygen)"),
    Shape("pem_dsa_private_key", (
        '-----BEGIN DSA PRIVATE KEY-----\n'
        'MIIBuwIBAAKBgQ0VzJVaGO0dx1LUouOK/KHOMXge9hR87R+6GdrWTqYCLEa/9gsC\n'
        'gRgUwiVegDiImweekMvsMasQkFqBk8RDWhn7r/xLSC8U2KxddtKGAfM8CD7RURlU\n'
        'o8nEeiQ0M7FoFV5cmMzClm02mzYsd7t2vyzkDjccK+lf0LhRBkk4dTptR3RqPJzK\n'
        '-----END DSA PRIVATE KEY-----'
        ),
        "legacy DSA"),
    Shape("pem_encrypted_private_key", (
        '-----BEGIN ENCRYPTED PRIVATE KEY-----\n'
        'MIIFHzBJBgkqhkiG9w0BBQ0waEipk3ZXmL38P3czASFzjUBFGDJcoF6Mo7/FC6bu\n'
        'AFvm4fMUCcuAewkC1kKyB7m4jcN+8iV8KiH8C2bEmHNbFsUHZoxhMpALiu28ymvV\n'
        'MRu+L6/KQwV1kDa0VhGQ6Icu5yavTciAwLJ1COwwLELcNz84RW3jUrXDoJn55zrt\n'
        '-----END ENCRYPTED PRIVATE KEY-----'
        ),
        "PKCS#8 encrypted (still a secret: the passphrase is often next to it)"),
    Shape("pem_pkcs8_private_key", (
        '-----BEGIN PRIVATE KEY-----\n'
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCeEh3V7KKatYMjoROP9pQwPcqojZbPDg0\n'
        '2lQjOqudBbFWGKEp4eB0wsi0csM5ZLKtQguFzFRL5R7tblxhCsolx0H6SLNxBQN8\n'
        'F9vQ0z6pzmeiZfeMT+Ro6tCbe9bZouHTRnenJZ83vgT7SBrruuXznZGpjvtiEAWX\n'
        'bP3ibW90zR3ElRYUhf1mpXGO6bv0bjfARGgJeZGT+AAg7L9S7q6eNYNlk9LDDh99\n'
        '-----END PRIVATE KEY-----'
        ),
        "plain PKCS#8 'PRIVATE KEY'"),
    Shape("pem_rsa_proc_type_encrypted", (
        '-----BEGIN RSA PRIVATE KEY-----\n'
        'Proc-Type: 4,ENCRYPTED\n'
        'DEK-Info: AES-128-CBC,4F0B7C21D9E3A6581B2C9D0E7F6A5B43\n'
        '\n'
        'SWZA+RuCF+ZKa+fURK42wSKGUE3gabzRqJG/O6PT+4Npn0pVSAQ3kdfQC6j4brTc\n'
        'o4Vdoe5vwaRoTFn4TevCR7KZDdSytphWAaqDrqH7n29cQlReTY+I7iNRGkLuVsnz\n'
        '-----END RSA PRIVATE KEY-----'
        ),
        "OpenSSL legacy encrypted PEM with Proc-Type/DEK-Info headers"),
    Shape("pgp_private_key_block", (
        '-----BEGIN PGP PRIVATE KEY BLOCK-----\n'
        '\n'
        'lQVYBGZOk0jx3Vx3vduoDECIHuI6KAZrwQNtmhWKBefj89ZeOFIxxM5D0WSvjgh3\n'
        'j+RfO1G6sUY2Pg17fYABzJZJmSWPt1K4rmXbSy5tzEbl2cMVHiz1BnMrBB4eGh34\n'
        '4Sbo1BI9q32LCBcqjobOOKimClxhy5KeTeg0IHLzsxbI66UTLPFGdqE/Bu1L1WIl\n'
        '=k3Qx\n'
        '-----END PGP PRIVATE KEY BLOCK-----'
        ),
        "ASCII-armoured PGP secret key with CRC line"),
    Shape("pem_private_key_escaped_newlines",
          "-----BEGIN PRIVATE KEY-----\\nQkV2yAKEiuVVgX04MJ7cbQwOgMTSZxeJPo0QpJHRykjoD+2A4TqI5HFIWvr9nGYo\\n"
          "GdRtIC0TCiB0ku3v3jmsKozjkJRCdJCpmv1eOgF7pR1g7NkUdEjn2sQNuafDvGAl\\n-----END PRIVATE KEY-----\\n",
          "one-line key with literal \\n escapes, as people paste into .env"),
    # --- cloud providers ---------------------------------------------------------------------
    Shape("aws_access_key_id", "AKIAEQJI62B6RGBUHK4U", "AKIA + 16 of [A-Z2-7]"),
    Shape("aws_temporary_access_key_id", "ASIA6ED6AWWX5NLJI6FW", "ASIA (STS) + 16 of [A-Z2-7]"),
    Shape("aws_secret_access_key", "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", "40 chars of base64 alphabet"),
    Shape("gcp_service_account_private_key_json",
          '"private_key_id": "5d18b5795881f67088f6700d4523982ef445f99f", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
          "HbGK+ML7mG1XohY/Czu1p/VX7C6txVmmiH0RFSqN/ejtWQd9T7YM5saSrHldWmeO\\n"
          "CUXE1d7I/fdp7t4otS+pJajaP+W5U6v+v9y6RTofjtIPUurKv0b9fJTQ3GLflSoH\\n"
          '-----END PRIVATE KEY-----\\n", "client_email": "tts-sa@voice-prod-31337.iam.gserviceaccount.com"',
          "fragment of a service-account JSON key file pasted into one value"),
    Shape("gcp_api_key", "AIzafF4UUISbEBVLOfbj6iQe78JDyNMLCo2hNyV", "AIza + 35 of [A-Za-z0-9_-]"),
    Shape("azure_storage_account_key",
          "T7U/Zo2hg14ZJGzxODO0IH098E4WdhEFDwQhsru/9/5mQ1j9K4Hgks+WBPZs90NDH6MrtCuz0bLbwh58dkm17N==",
          "88 chars of base64 ending '=='"),
    Shape("azure_storage_connection_string",
          "DefaultEndpointsProtocol=https;AccountName=voiceaudio01;AccountKey=p3AjzMIa0aMWkibUHUhLxMwhfFJ59afJznBD7uUyp/Zj/aGY+fBdFJTpTm0lFmaYooFIUWoNHWQZzFc90JPZOw==;EndpointSuffix=core.windows.net",
          "connection string with AccountKey="),
    Shape("azure_sas_token",
          "sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2026-12-31T23:59:00Z&st=2026-04-01T00:00:00Z&spr=https&sig=f87%2FvfbXr9%2FJzgKbsXs4Wtu7%2FKc%2FWTNKT11Mc%2B0%2B6Ax%3D",
          "SAS query string; the signature is URL-encoded base64 after sig="),
    Shape("azure_sas_url",
          "https://voiceaudio01.blob.core.windows.net/clips?sp=r&st=2026-04-24T08:00:00Z&se=2026-05-24T08:00:00Z&spr=https&sv=2022-11-02&sr=c&sig=ooFIUWoNHWQZzFc90JPZOyuOhUbB26ol9SI%2FaOnIceV%3D",
          "SAS token carried in a blob URL"),
    # --- forges ------------------------------------------------------------------------------
    Shape("github_pat_classic", "ghp_QOJ6tNkkcpcSD2CTwhgwkbHROU138w4MlIrp", "ghp_ + 36 base62"),
    Shape("github_oauth_token", "gho_B8HJjCzSpoJ7WvekC88EtCMmSsjO5xwHDxck", "gho_ + 36 base62"),
    Shape("github_user_to_server_token", "ghu_DYSbKjCOB5C2GcXSTdF3itfrXuMg7CgppByf", "ghu_ + 36 base62"),
    Shape("github_server_to_server_token", "ghs_NptrMj1VHcHCHx3xEv3uL9RISBREDh01BbnI", "ghs_ + 36 base62 (Actions, apps)"),
    Shape("github_refresh_token", "ghr_EzyJG4ytpgZetVB37zILCx4HsoFc9zSZ5i3W", "ghr_ + 36 base62"),
    Shape("github_fine_grained_pat",
          "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",
          "github_pat_ + 22 + '_' + 59"),
    Shape("gitlab_personal_access_token", "glpat-pNDMQd7wg-3WC3Zb_dkD", "glpat- + 20"),
    Shape("gitlab_deploy_token", "gldt-E8aZ9Mded_mLzuSOK-2H", "gldt- + 20"),
    Shape("gitlab_runner_token", "glrt-vAbuJ_E2H2EBU36764yc", "glrt- + 20 (runner authentication token)"),
    Shape("gitlab_pipeline_trigger_token", "glptt-7kQWxWpP4ZQlHGS-K-AO", "glptt- + 20"),
    # --- chat --------------------------------------------------------------------------------
    Shape("slack_bot_token", "xoxb-887125961995-7693548528022-077l2mLRPoppDfOceK4eO64n", "xoxb-"),
    Shape("slack_user_token",
          "xoxp-646031099043-933533112486-1834630175396-94c445b6436de0f072e6f07e69a37d66", "xoxp-"),
    Shape("slack_app_token",
          "xapp-1-AV3YOPTHQAZ-6668339978790-49169028070958b54e55983eeda583848ffbf8e7d87199ae60110d5ce04704b5",
          "xapp- app-level token"),
    Shape("slack_webhook_url", "https://hooks.slack.com/services/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",
          "incoming webhook: the path is the secret"),
    Shape("discord_webhook_url",
          "https://discord.com/api/webhooks/3613294878553928517/GLRgAK9EIrfug42FD4y0a-c2vN7hsSdEnIMyv45JYc1S5X-b6pmEZsdLbUpmyZaqL1nG",
          "webhook id + 68-char token in the path"),
    Shape("discord_bot_token", "MNYm5ijZIv4X9y5SJMdbI0KyAc.Cp8ka6.2trUtkz81ZLB2GY9RyTqTCcuS7bjWx08cP_uOj",
          "three dot-separated parts, first starts with M/N"),
    Shape("telegram_bot_token", "4856549893:AAhCs7Y-WkOu6rmwaxwSD_2JEwxUgVk_0a7", "digits ':' AA + 33"),
    # --- payments, mail, SMS -----------------------------------------------------------------
    Shape("stripe_secret_key",
          "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",
          "sk_live_ (99-char modern length)"),
    Shape("stripe_restricted_key", "rk_live_KhHkCQe9y7BEVDoDa2gk8a9c9EbMxrIaUVsuYzgVBaiKDa75C3tUsJBS6YfStj",
          "rk_live_"),
    Shape("stripe_webhook_secret", "whsec_ncIblE99VBvsXy3w6YZdEOnRoozcOp4M", "whsec_ + 32"),
    Shape("square_access_token", "sq0atp-FgOL4LprTOY0kWV9l3W4VG", "sq0atp- + 22"),
    Shape("sendgrid_api_key", "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", "SG.22.43"),
    Shape("twilio_api_key_sid", "SKacb6412327c171d4d1d3d76b4143c116", "SK + 32 hex"),
    Shape("twilio_account_sid", "AC2a52ba02d7b947bbd76d89b35f258bfa", "AC + 32 hex (paired with an auth token)"),
    Shape("mailgun_api_key", "key-72ac9f407d143f6c8598b47dd57bce1a", "key- + 32 hex"),
    Shape("mailchimp_api_key", "234f94739d3d58debc0ea9b59fdefd7f-us21", "32 hex + -usNN datacenter"),
    # --- AI and package registries -----------------------------------------------------------
    Shape("huggingface_token", "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", "hf_ + 34 letters"),
    Shape("openai_api_key_legacy", "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",
          "sk- + 20 + T3BlbkFJ + 20"),
    Shape("openai_project_key",
          "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",
          "sk-proj- with T3BlbkFJ marker"),
    Shape("anthropic_api_key",
          "sk-ant-api03-sAjlUubqp0Fn1MnSbMZNUSwr7dNi7gBcGoYhJktzido1mWiu6K23PnV87MNa47L__K9HGj8UJKGSQ8UJBwV1CIGmQ13EoAA",
          "sk-ant-api03- + 93 + AA"),
    Shape("vllm_api_key_flag", "--api-key vk-pFFrhCbQNxTa1i5NGBbVzvCnmLAhf4oIoMj8mIWn",
          "a key passed on a compose `command:` line (vLLM's --api-key)"),
    Shape("npm_access_token", "npm_pVYapSjeqH5y7ZyeVlGuCSY8RGkrmWZpEQjw", "npm_ + 36"),
    Shape("pypi_upload_token",
          "pypi-AgEIcHlwaS5vcmc9MWrXe5zeR9MqqxYG640Vq8SEoLFoPA-fCJnlobnbMht2fk4seas71gCHc1oxyy66BhUj4K0aRXclx18YwF-8hHdxcwHuJiM37dasOrHdgPuDzQ9TGil-bOD",
          "pypi-AgEIcHlwaS5vcmc (macaroon for pypi.org) + body"),
    Shape("age_secret_key", "AGE-SECRET-KEY-1438LRU720W9XRNT4PL5T43VXDS3RW0KFDVU7NCPFWSUHW5WS8KF972PD85",
          "age identity (bech32)"),
    # --- tokens and hashes -------------------------------------------------------------------
    Shape("jwt_hs256_livekit",
          "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudC04YTc4OWQiLCJpc3MiOiJBUElEa3JJMk9RV0ZUbVoiLCJleHAiOjE3OTAwMDAwMDAsInZpZGVvIjp7InJvb20iOiJ2b2ljZSIsInJvb21Kb2luIjp0cnVlfX0.Fb31i9wCexEreKJIh-hK58sQI0d0Mhko1W1czSARGjZ",
          "LiveKit-style access token (HS256)"),
    Shape("jwt_rs256",
          "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJiZDJkNGRhIiwidHlwIjoiSldUIn0.eyJzdWIiOiI3OTI3MDQ0NTkzIiwiYXVkIjoidm9pY2UtYXBpIiwiaWF0IjoxNzYwMDAwMDAwfQ.hLEditKP5ITmSNcmi7AA24vInlE1aKtHt2bbY1K9GnDkmXkGyy0mK3Jb-L23Ny46kYuPFh7etsb_vV9K9t2IIAUPxETG82YxQAvGqttd5ISpTLgWPycGwViUpngf00-8XpbYd1nQ7C4YBTycRyxF8oF1I66HSBafyOIzguxDsKX8BfORisdKB6w4aZ52T9Tstq-RKN61wxEAn3F3aOF4kF7j1OTU7dBO3lSjtDJzdgPLdNe13YW5wqQXV1X6KmEdwAqK5uwTX-NquR9ezDGraoHdW4WKJaxAUtsRPcXJ_-n1Ap36E9lHbbUTKWBV5UHxGeggGwym40-pAiv2Wy_9Ox",
          "RS256 bearer token with a 342-char signature"),
    Shape("authorization_bearer_header", "Authorization: Bearer m4aVnLtq4z3zlDKiHJRwHmHn-ch-gd2btUIN8o2GkrtfV39r",
          "a header value in a healthcheck or curl command"),
    Shape("authorization_basic_header", "Authorization: Basic b3BzOjBGVklRS2xmVkVSUjZvVW50Wg==",
          "Basic header: base64 of user:password"),
    Shape("bcrypt_2a", "$2a$14$bo/raxb1tALtU1RwVqpHsUV9.C9VP/8gVrCxziGnzNjOQaskfZ8h8", "bcrypt $2a$"),
    Shape("bcrypt_2b", "$2b$10$/sijUXem15B1wgk8Mi3uZdW4nXFuwl9A5sQuui2X0uGe5ZNDJOvdC", "bcrypt $2b$"),
    Shape("bcrypt_2y", "$2y$14$.KWR2urO9ydZAu2m8kfxZXJD0XOkSsLJZOeIcWnR2WHIheMHTyvfa", "bcrypt $2y$ (PHP/htpasswd -B)"),
    Shape("argon2id_hash",
          "$argon2id$v=19$m=65536,t=3,p=4$Bso2a0rwjjaY+/7AgkoUK8$cV1OfyiVJmg7MVjomNOCMB6BvQSwKvDko0m+aJFUcSb",
          "PHC-format argon2id"),
    Shape("caddy_basic_auth_line", "voiceadmin $2a$14$luUoXDQS07Iu4ZgskpTOMhFfZ97uncmr/KJ9vDSAyU00FVRUvSg7H",
          "Caddyfile basic_auth entry: user then bcrypt hash"),
    Shape("caddy_basic_auth_base64_hash",
          "JDJhJDE0JEg5OXAxOG10eGtoSFVtM2tDcC9kb2xwZm1pYy91NUUzaTQyWVpBUklnaFFCSWtyeTVvWTkz",
          "older `caddy hash-password` output: base64 of a bcrypt hash"),
    Shape("htpasswd_apr1", "ops:$apr1$cKaLICSf$v6ezD5.HSYeF.AZDKzIxBC", "Apache MD5 htpasswd line"),
    Shape("docker_registry_auth", "Y2ktcHVsbDo1a0s0RWlXM0RMNzFOQ0w2dmxRMEc5eGI=",
          "~/.docker/config.json auths.*.auth: base64 of user:password"),
    # --- unlabelled high-entropy material under harmless names ---------------------------------
    Shape("hex_40", "497326f9a08c0b1e59f1c6a37d9395fc3e1a1428", "40 hex (same shape as a git SHA-1)"),
    Shape("hex_64", "f659f25293c0b36676e522003a04967f959bdbe9a4ac455314c34ee43839d7ac", "64 hex (32-byte key)"),
    Shape("hex_32_twilio_auth_token", "c27fc6c92b5195eb3ad2b8f993eaa231", "32 hex, no prefix"),
    Shape("base64_32_chars", "ZZw31ZSPc32epSNCVmlxoNagiesSpsLl", "base64 of 24 random bytes"),
    Shape("base64_44_chars", "rND2mTpZHvatIKZUlBWyEmumUMdwFMvxZKO+Y88fRq4=", "base64 of 32 random bytes"),
    Shape("base64url_64_chars", "9IrMD57ujUpdDLJrdxo_QYQcjqOc3E2xJrQgQYN5pYPLz7st5gUQGF56I_-3ICOT",
          "url-safe base64 of 48 random bytes, no padding"),
    Shape("livekit_api_secret", "6nnqFwEhRPH4U3M5h15yWyAKYpWOhquQjhuGY9Qooap", "43 base62 chars"),
    Shape("plain_password_symbols", "fZFy3X!EudZL#X3lHHYm", "a typed password with symbols, no structure"),
)


NEGATIVES: tuple[Shape, ...] = (
    Shape("image_digest_ref",
          "vllm/vllm-openai@sha256:76a6e62bd9abceb1b3fb280fb71d81b33bde152d81e49dc88828d923a2f387d6",
          "image pinned by digest"),
    Shape("image_tag_and_digest",
          "ghcr.io/voice-ops/livekit-agent:2026.04.24@sha256:6353bf559414bcf7197a0c1f66f757000d3c683e7d0a539c0868aad18aa95ef5",
          "tag plus digest"),
    Shape("bare_sha256_digest", "sha256:40ab88fb9460149fa84d0a65057677c075ac957c540bdce25f5fd9e52cf02aee",
          "a digest on its own, as in `docker inspect` or a lock file"),
    Shape("image_git_sha_tag", "ghcr.io/voice-ops/stt-gateway:6a8d16d3b858d0801242ab1ce28f60fb47611533",
          "image tagged with a full git SHA"),
    Shape("image_short_sha_tag", "ghcr.io/voice-ops/voxtral-stage:git-6a8d16d", "short git SHA in a tag"),
    Shape("image_cuda_base", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "Dockerfile FROM"),
    Shape("image_caddy", "docker.io/library/caddy:2.8-alpine", "fully qualified image"),
    Shape("image_livekit", "livekit/livekit-server:v1.8.4", "semver tag"),
    Shape("model_voxtral", "mistralai/Voxtral-Mini-3B-2507", "Hugging Face model id"),
    Shape("model_whisper", "openai/whisper-large-v3-turbo", "model id with 'openai' in it"),
    Shape("model_served_name_flag", "--served-model-name voxtral-mini", "vLLM flag"),
    Shape("flag_batched_tokens", "--max-num-batched-tokens 8192", "vLLM flag with 'tokens' in it"),
    Shape("flag_gpu_memory", "--gpu-memory-utilization 0.85", "vLLM flag"),
    Shape("flag_stage_config", "--stage-configs-path /srv/voice/stages/voxtral.yaml", "flag with a path"),
    Shape("path_hf_cache", "/srv/voice/models/hf-cache", "bind-mount source"),
    Shape("path_docker_volume", "/var/lib/docker/volumes/voice_hf-cache/_data", "volume path"),
    Shape("path_secret_file", "/run/secrets/livekit_api_secret", "path to a secret file, not the secret"),
    Shape("container_name", "voice-vllm-voxtral-1", "compose container name"),
    Shape("uuid_like_name", "285570be-977f-5ded-446d-767553811689", "UUID-shaped identifier"),
    Shape("container_short_id", "b61869b7b4cf", "12-hex container id as docker ps prints it"),
    Shape("var_reference", "${HF_TOKEN}", "compose interpolation"),
    Shape("var_reference_required", "${LIVEKIT_API_SECRET:?set it in .env}", "interpolation with an error text"),
    Shape("var_reference_default", "${VLLM_PORT:-8000}", "interpolation with a default"),
    Shape("var_escaped_dollar", "$${HOSTNAME}-agent", "escaped dollar in compose"),
    Shape("url_service_internal", "http://vllm-whisper:8000/v1", "URL without credentials"),
    Shape("url_healthz_loopback", "http://127.0.0.1:8080/healthz", "healthcheck URL"),
    Shape("url_livekit_ws", "ws://livekit:7880", "websocket URL"),
    Shape("url_public_wss", "wss://voice.example.com/rtc", "public URL, no userinfo"),
    Shape("url_postgres_no_credentials", "postgres://db:5432/voice", "database URL without userinfo"),
    Shape("url_redis_no_credentials", "redis://redis:6379/0", "redis URL without userinfo"),
    Shape("url_with_at_in_path", "https://huggingface.co/mistralai/Voxtral-Mini-3B-2507/tree/main?ref=@main",
          "an '@' after the host is not userinfo"),
    Shape("healthcheck_command", "curl -fsS http://127.0.0.1:8081/healthz || exit 1", "CMD-SHELL healthcheck"),
    Shape("entrypoint_module", "python -m vllm.entrypoints.openai.api_server", "entrypoint"),
    Shape("duration_compound", "1h2m30s0ms", "Go-style compound duration (compose accepts it)"),
    Shape("duration_seconds", "interval: 30s", "duration in a line"),
    Shape("memory_size", "mem_limit: 24GiB", "memory size"),
    Shape("shm_size", "shm_size: 16gb", "compose shm size"),
    Shape("port_mapping", "127.0.0.1:8000:8000", "loopback port mapping"),
    Shape("port_range_udp", "50000-60000/udp", "RTC port range"),
    Shape("base64_short_nonsecret", "dm9pY2Utc3RhY2stY29uZmln", "base64 of 'voice-stack-config'"),
    Shape("gpu_request", "nvidia.com/gpu=all", "CDI device"),
    Shape("restart_policy", "unless-stopped", "restart policy"),
    Shape("locale", "en_US.UTF-8", "LANG"),
    Shape("timezone", "America/New_York", "TZ"),
    Shape("instructions_prose", "You are a concise voice assistant; answer in one or two sentences.",
          "AGENT_INSTRUCTIONS"),
    Shape("caddy_reverse_proxy", "reverse_proxy vllm-voxtral:8000", "Caddyfile directive"),
    Shape("audio_format", "audio/pcm;rate=24000", "content type"),
    Shape("dockerfile_pip_line", "pip install --no-cache-dir vllm==0.10.1.1 'livekit-agents[silero]~=1.2'",
          "RUN line"),
    Shape("env_name_secretish", "LIVEKIT_API_SECRET_FILE", "a variable NAME that says secret, as a value"),
    Shape("git_describe", "v0.9.2-14-g6a8d16d", "git describe output"),
)
