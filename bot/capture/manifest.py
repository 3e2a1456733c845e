"""A snapshot on disk: the captured files under `files/` and `manifest.json` describing them.

Reading one back checks every file against the manifest's sha256, so a snapshot that was
edited, truncated or only partly copied is refused instead of being compared.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

from bot.capture.files import live_redactor
from bot.errors import SnapshotError
from bot.secrets import redact, redaction_kind
from bot.model import FileCapture, ServiceRuntime, Snapshot

FORMAT = 1


def write_snapshot(snapshot: Snapshot, out: Path) -> Path:
    (out / "files").mkdir(parents=True, exist_ok=True)
    entries = []
    for f in snapshot.files:
        if f.text is not None:
            target = _inside(out / "files", f.live_path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.text.encode())
        entry = asdict(f)
        entry.pop("text")
        entries.append(entry)
    manifest = {
        "format": FORMAT,
        "id": snapshot.id,
        "source": snapshot.source,
        "host": snapshot.host,
        "project": snapshot.project,
        "captured_at": snapshot.captured_at,
        "tool_version": snapshot.tool_version,
        "files": entries,
        "runtime": [asdict(r) for r in snapshot.runtime],
        "verification": list(snapshot.verification),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return out


def _inside(root: Path, rel: str) -> Path:
    target = (root / rel).resolve()
    if root.resolve() not in target.parents:
        raise SnapshotError(f"snapshot path {rel!r} leads outside the snapshot folder; refused")
    return target


def _redacted_again(capture: FileCapture) -> FileCapture:
    """A snapshot is not trusted to be redacted: one written by hand, or by a version that missed
    a spelling or kept an unsalted digest, is redacted again as it is read."""
    if capture.text is None:
        return capture
    done = redact(capture.text, redaction_kind(capture.repo_path), live_redactor())
    if done.text == capture.text:
        return capture
    return replace(capture, text=done.text, sha256=hashlib.sha256(done.text.encode()).hexdigest(),
                   redactions=capture.redactions + done.count)


def read_snapshot(folder: Path) -> Snapshot:
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise SnapshotError(f"{folder} is not a snapshot: manifest.json is missing (make one with `drift snapshot`)") from None
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{manifest_path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError(f"{manifest_path} has an unknown format; re-capture it with this version of drift")
    from bot.schema_check import schema_problems

    problems = schema_problems(manifest, "manifest")  # schema/manifest.schema.json: paths stay inside
    if problems:
        raise SnapshotError(f"{manifest_path}: {problems[0][1]}; refused (re-capture the snapshot)")
    files = []
    try:
        for entry in manifest["files"]:
            text = None
            if entry.get("sha256"):
                path = _inside(folder / "files", entry["live_path"])
                try:
                    data = path.read_bytes()
                except OSError:
                    raise SnapshotError(f"snapshot {folder} is incomplete: {entry['live_path']} is missing") from None
                if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    raise SnapshotError(f"snapshot {folder} was altered: {entry['live_path']} does not match its sha256 in manifest.json")
                text = data.decode()
            capture = FileCapture(text=text, **{k: v for k, v in entry.items() if k in FileCapture.__dataclass_fields__})
            files.append(_redacted_again(capture))
        runtime = tuple(
            ServiceRuntime(**{k: (tuple(v) if k == "fields" else v) for k, v in r.items() if k in ServiceRuntime.__dataclass_fields__})
            for r in manifest.get("runtime", [])
        )
        return Snapshot(manifest["source"], manifest["host"], manifest["captured_at"], manifest["tool_version"],
                        tuple(files), runtime, manifest.get("project"), tuple(manifest.get("verification") or ()))
    except (KeyError, TypeError) as exc:
        raise SnapshotError(f"{manifest_path} is missing {exc} ; re-capture the snapshot") from None
