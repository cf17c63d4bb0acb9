"""7z members through py7zr (optional dependency, imported only here and only when present)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsvs.scanner.context import child
from mlsvs.scanner.report import finding
from mlsvs.scanner.rules import ScanRule

if TYPE_CHECKING:
    from mlsvs.scanner.context import ByteSource, Ctx


def read_7z(ctx: Ctx, src: ByteSource, member: str | None, depth: int) -> None:
    """Decompress each member (bounded by the member and total limits) and scan it."""
    import py7zr

    from mlsvs.scanner.context import unsafe_member_name

    src.fh.seek(0)
    try:
        with py7zr.SevenZipFile(src.fh, mode="r") as archive:
            infos = archive.list()
            if len(infos) > ctx.options.max_members:
                ctx.add(finding(ScanRule.ARC001, "member count limit reached", member=member))
                return
            total = sum(int(i.uncompressed or 0) for i in infos)
            if not ctx.fits(total, member, "7z content") or not ctx.charge(total, member):
                return
            for info in infos:
                name = str(info.filename)
                if unsafe_member_name(name):
                    ctx.add(
                        finding(
                            ScanRule.ZIP001, f"member path {name!r}", member=child(member, name)
                        )
                    )
            links = [str(i.filename) for i in infos if getattr(i, "is_symlink", False)]
            contents = _extract(archive, ctx.available())
    except Exception as exc:  # noqa: BLE001 - py7zr raises many unrelated types on bad input
        ctx.add(
            finding(ScanRule.GEN002, f"7z archive unreadable: {type(exc).__name__}", member=member)
        )
        return
    _links(ctx, member, links, contents)
    with ctx.holding(sum(len(v) for v in contents.values())):
        for name in sorted(contents):
            ctx.scan_bytes(contents[name], child(member, name), depth + 1)


def _links(ctx: Ctx, member: str | None, links: list[str], contents: dict[str, bytes]) -> None:
    """A 7z link's content is its target: report the ones that leave the archive root."""
    from mlsvs.scanner.links import link_problem, target_text

    raw = {name: contents.get(name) for name in links}
    targets = {n: t for n, data in raw.items() if data is not None and (t := target_text(data))}
    for name in links:
        problem = link_problem(name, targets.get(name), targets)
        if problem is not None:
            text = f"symbolic link member: {problem}"
            ctx.add(finding(ScanRule.ZIP002, text, member=child(member, name)))


def _extract(archive: object, limit: int) -> dict[str, bytes]:
    """Member contents in memory (py7zr >= 1.0 uses writer factories; older has readall)."""
    import py7zr.io

    factory = py7zr.io.BytesIOFactory(limit)
    archive.extractall(factory=factory)  # type: ignore[attr-defined]
    out: dict[str, bytes] = {}
    for name, product in factory.products.items():
        product.seek(0)
        out[str(name)] = bytes(product.read())
    return out
