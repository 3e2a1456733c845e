"""Snapshots on disk: written redacted, read back only when every file matches its sha256."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.capture import capture
from bot.capture.manifest import read_snapshot, write_snapshot
from bot.errors import SnapshotError

ROOT = Path(__file__).resolve().parent.parent
FILES = (("docker-compose.yml", "voice/docker-compose.yml"), (".env", "voice/.env.example"), ("missing.txt", "voice/missing.txt"))


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    snap = capture("dir:examples/instance", FILES, relative_to=ROOT)
    return write_snapshot(snap, tmp_path / "snap")


def test_the_manifest_names_source_host_time_and_every_file(saved: Path) -> None:
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["source"] == "dir:examples/instance" and manifest["host"] and manifest["captured_at"].endswith("Z")
    assert manifest["tool_version"]
    entries = {e["repo_path"]: e for e in manifest["files"]}
    assert len(entries["voice/docker-compose.yml"]["sha256"]) == 64 and entries["voice/docker-compose.yml"]["size"] > 0
    assert entries["voice/missing.txt"]["missing"] is True
    assert entries["voice/.env.example"]["redactions"] == 3


def test_a_snapshot_reads_back_equal(saved: Path) -> None:
    snap = read_snapshot(saved)
    again = capture("dir:examples/instance", FILES, relative_to=ROOT)
    assert snap.id == again.id
    assert [f.text for f in snap.files] == [f.text for f in again.files]


def test_a_tampered_file_is_refused(saved: Path) -> None:
    env = saved / "files" / ".env"
    env.write_text(env.read_text() + "EXTRA=1\n")
    with pytest.raises(SnapshotError, match=r"was altered: \.env does not match its sha256"):
        read_snapshot(saved)


def test_a_truncated_snapshot_is_refused(saved: Path) -> None:
    (saved / "files" / "docker-compose.yml").unlink()
    with pytest.raises(SnapshotError, match="is incomplete: docker-compose.yml is missing"):
        read_snapshot(saved)


def test_a_manifest_pointing_outside_the_snapshot_is_refused(saved: Path) -> None:
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["files"][0]["live_path"] = "../../etc/passwd"
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="leads outside the snapshot folder"):
        read_snapshot(saved)


def test_a_folder_that_is_not_a_snapshot_says_so(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="manifest.json is missing"):
        read_snapshot(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(SnapshotError, match="cannot be read"):
        read_snapshot(tmp_path)


def _manifest_case(tmp_path, **changes):
    import json

    from bot.capture.manifest import write_snapshot
    from bot.model import FileCapture, Snapshot

    snap = Snapshot("dir:/srv", "h", "2026-04-24T18:40:00Z", "t",
                    (FileCapture("docker-compose.yml", "voice/docker-compose.yml", "services: {}\n"),))
    folder = write_snapshot(snap, tmp_path / "snap")
    manifest = json.loads((folder / "manifest.json").read_text())
    for key, value in changes.items():
        if key in manifest["files"][0]:
            manifest["files"][0][key] = value
        else:
            manifest[key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize("changes,says", [
    ({"repo_path": "../../../outside"}, 'files[0]: `repo_path` leads outside the snapshot folder or the repository'),
    ({"repo_path": "/etc/passwd"}, 'files[0]: `repo_path` leads outside'),
    ({"redactions": -1}, "files[0]: `redactions` must be at least 0"),
    ({"size": "big"}, "files[0]: `size` must be a whole number"),
    ({"runtime": [{"service": "a"}]}, "runtime[0]: `state` is missing"),
    ({"surprise": 1}, "unknown key `surprise`"),
])
def test_a_manifest_is_validated_by_its_schema(tmp_path, changes, says) -> None:
    from bot.capture.manifest import read_snapshot
    from bot.errors import SnapshotError

    with pytest.raises(SnapshotError) as caught:
        read_snapshot(_manifest_case(tmp_path, **changes))
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_snapshot_written_by_drift_is_valid_by_the_schema(tmp_path) -> None:
    from bot.capture.manifest import read_snapshot

    assert read_snapshot(_manifest_case(tmp_path)).files[0].repo_path == "voice/docker-compose.yml"
