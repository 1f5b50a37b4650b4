#!/usr/bin/env python3
"""Renders the Homebrew formula and the krew manifest from their templates.

    packaging/render.py DIST VERSION REPOSITORY

For every `eks-kc-{VERSION}-{target}.tar.gz` in DIST with a `.sha256` beside it, one platform:
its URL is `{REPOSITORY}/releases/download/v{VERSION}/{file}` (the GitHub release of tag
v{VERSION}, where .github/workflows/release.yml attaches the archives), its checksum the one
in the `.sha256` file (checked against the archive here). Writes DIST/eks-kc.rb and
DIST/eks-kc.yaml. Platforms whose archive is not in DIST are left out: a local run (one
target) gives a formula and a manifest for that target alone.

Templates: `{{field}}`; `{{#platforms}}...{{/platforms}}` repeats its lines per platform;
`{{#os macos}}...{{/os}}` keeps its lines (with the platforms inside narrowed to that os) only
when there is one. Standard library only.
"""
import hashlib
import pathlib
import re
import sys

# target -> (Homebrew os, krew os, krew arch, Homebrew cpu block)
TARGETS = {
    "x86_64-unknown-linux-gnu": ("linux", "linux", "amd64", "intel"),
    "aarch64-unknown-linux-gnu": ("linux", "linux", "arm64", "arm"),
    "x86_64-apple-darwin": ("macos", "darwin", "amd64", "intel"),
    "aarch64-apple-darwin": ("macos", "darwin", "arm64", "arm"),
}


def platforms(dist, version, repository):
    found = []
    for target, (os_, krew_os, arch, cpu) in TARGETS.items():
        name = f"eks-kc-{version}-{target}.tar.gz"
        archive = dist / name
        if not archive.exists():
            continue
        sums = (dist / f"{name}.sha256").read_text().split()
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if not sums or sums[0] != digest:
            sys.exit(f"render.py: {name}.sha256 does not match {name}")
        found.append({
            "target": target,
            "os": os_,
            "krew_os": krew_os,
            "arch": arch,
            "cpu": cpu,
            "dir": f"eks-kc-{version}-{target}",
            "url": f"{repository}/releases/download/v{version}/{name}",
            "sha256": digest,
        })
    if not found:
        sys.exit(f"render.py: no eks-kc-{version}-*.tar.gz in {dist}")
    return found


def fill(text, fields):
    def field(m):
        key = m.group(1)
        if key not in fields:
            sys.exit(f"render.py: unknown template field {{{{{key}}}}}")
        return fields[key]
    return re.sub(r"\{\{(\w+)\}\}", field, text)


def render(template, fields, plats):
    def per_platform(text, plats):
        return re.sub(
            r"^\{\{#platforms\}\}\n(.*?)^\{\{/platforms\}\}\n",
            lambda m: "".join(fill(m.group(1), {**fields, **p}) for p in plats),
            text, flags=re.S | re.M)

    def per_os(m):
        mine = [p for p in plats if p["os"] == m.group(1)]
        return per_platform(m.group(2), mine) if mine else ""

    text = re.sub(r"^\{\{#os (\w+)\}\}\n(.*?)^\{\{/os\}\}\n", per_os, template,
                  flags=re.S | re.M)
    return fill(per_platform(text, plats), fields)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    dist, version, repository = sys.argv[1:]
    dist = pathlib.Path(dist)
    here = pathlib.Path(__file__).parent
    repository = repository.rstrip("/")
    plats = platforms(dist, version, repository)
    fields = {"version": version, "homepage": repository}
    for template, out in (("eks-kc.rb.in", "eks-kc.rb"), ("eks-kc.yaml.in", "eks-kc.yaml")):
        text = render((here / template).read_text(), fields, plats)
        (dist / out).write_text(text)
        print(f"render.py: wrote {dist / out} ({', '.join(p['target'] for p in plats)})")


if __name__ == "__main__":
    main()
