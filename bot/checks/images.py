"""images: services whose image names no fixed version (`:latest`, or no tag at all).

Such a service runs whatever the registry holds the next time it is pulled or recreated, so
the host can change under a compose file that did not. A tag with a version, or an
`@sha256:` digest, pins it. A service that also has `build:` is skipped: its `image:` names
what compose builds, and pinning that tag pins nothing.
"""
from __future__ import annotations

from collections.abc import Iterator

from bot.checks.base import CheckContext, check, finding_id
from bot.compare.compose import locate_line
from bot.model import Finding


def image_tag(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference; a registry port is not a tag."""
    name, _, digest = image.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        return name[:colon], name[colon + 1:], digest or None
    return name, None, digest or None


@check("images")
def images(ctx: CheckContext) -> Iterator[Finding]:
    side = ctx.side
    for path, _raw, norm in side.compose_files():
        text = side.files[path]
        for name, svc in (norm.get("services") or {}).items():
            if not isinstance(svc, dict) or svc.get("build") is not None:
                continue
            image = svc.get("image")
            if not isinstance(image, str) or not image.strip() or "$" in image:
                continue  # no image, or one compose interpolates at run time
            repo, tag, digest = image_tag(image.strip())
            if digest or (tag is not None and tag != "latest"):
                continue
            what = f"{image} (no tag, so :latest)" if tag is None else image
            yield Finding(
                finding_id("images", name), "images", "warning",
                f"{name} runs {what}, which names no fixed version: a pull or --force-recreate can change what "
                f"runs; pin a version tag or an @sha256: digest",
                side.evidence(path, locate_line(text, ("services", name, "image")), service=name, image=image,
                              repository=repo, tag=tag),
            )
