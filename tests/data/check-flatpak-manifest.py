#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest without building it (the runtimes cannot be
downloaded here): it parses, it runs on a current GNOME runtime, it has the
permissions a GPU viewer needs and no network or home-folder access, and
every module has sources, each remote one pinned by a checksum. Prints TAP.

Usage: check-flatpak-manifest.py MANIFEST.json
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

APP_ID = "org.lightbox.Lightbox"
results = []


def check(name, condition, *diagnostics):
    results.append((bool(condition), name, [d for d in diagnostics if d]))


def main(path):
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        check("the manifest parses as JSON", False, str(e))
        return
    check("the manifest parses as JSON", isinstance(manifest, dict))

    check("the app id is " + APP_ID,
          manifest.get("id", manifest.get("app-id")) == APP_ID)
    check("the command is lightbox", manifest.get("command") == "lightbox")
    version = str(manifest.get("runtime-version", ""))
    check("it runs on the GNOME runtime 47 or later",
          manifest.get("runtime") == "org.gnome.Platform"
          and manifest.get("sdk") == "org.gnome.Sdk"
          and version.isdigit() and int(version) >= 47,
          f"runtime {manifest.get('runtime')}//{version}")

    finish = manifest.get("finish-args", [])
    for arg in ("--socket=wayland", "--socket=fallback-x11", "--share=ipc", "--device=dri"):
        check(f"finish-args has {arg}", arg in finish)
    check("no network permission: images and reports never leave the machine",
          "--share=network" not in finish,
          *[f"found {a}" for a in finish if "network" in a])
    broad = [a for a in finish if a.startswith("--filesystem=")
             or a in ("--device=all", "--socket=x11", "--talk-name=org.freedesktop.Flatpak")]
    check("files reach the app through portals only (no --filesystem, no --device=all)",
          not broad, *[f"found {a}" for a in broad])

    # The build itself must not reach the network either: every source is
    # downloaded (and checked) before the build starts.
    def build_args(options):
        return (options or {}).get("build-args", [])
    network_builds = [m.get("name", "?") for m in manifest.get("modules", [])
                      if "--share=network" in build_args(m.get("build-options"))]
    if "--share=network" in build_args(manifest.get("build-options")):
        network_builds.append("(top level)")
    check("no module builds with network access", not network_builds,
          *[f"network in {n}" for n in network_builds])

    modules = manifest.get("modules", [])
    names = [m.get("name") for m in modules if isinstance(m, dict)]
    check("every module is an inline object with a name",
          len(names) == len(modules) and all(names))
    for needed in ("dcmtk", "openslide", "libdicom", "openjpeg", "shaderc"):
        check(f"a module builds {needed}", needed in names)
    check("lightbox is the last module", names[-1:] == ["lightbox"], f"modules: {names}")

    sha256 = re.compile(r"^[0-9a-f]{64}$")
    commit = re.compile(r"^[0-9a-f]{40}$")
    for module in modules:
        name = module.get("name", "?")
        sources = module.get("sources", [])
        check(f"module {name} has sources", len(sources) > 0)
        problems = []
        for source in sources:
            if not isinstance(source, dict):
                problems.append(f"{source!r} is not an inline source")
                continue
            kind = source.get("type")
            where = source.get("url") or source.get("path")
            if kind in ("archive", "file"):
                if not str(source.get("url", "")).startswith("https://"):
                    problems.append(f"{where}: not an https URL")
                if not sha256.match(str(source.get("sha256", ""))):
                    problems.append(f"{where}: no sha256")
            elif kind == "git":
                if not commit.match(str(source.get("commit", ""))):
                    problems.append(f"{where}: git source without a pinned commit")
            elif kind == "dir":
                if name != "lightbox":
                    problems.append(f"{where}: only Lightbox itself builds from the local tree")
            elif kind == "patch":
                if not source.get("path"):
                    problems.append("patch without a path")
            else:
                problems.append(f"{where}: source type {kind!r} is not checked")
        check(f"module {name}: every source is pinned (sha256 or commit) or local", not problems,
              *problems)

    # flatpak-builder's own reader knows every property of the format: a
    # misspelt or misplaced key is a warning there and a silent no-op in a
    # real build.
    builder = shutil.which("flatpak-builder")
    if builder is None:
        results.append((True, "flatpak-builder reads the manifest without warnings # SKIP "
                        "flatpak-builder is not installed", []))
    else:
        # It makes a state folder (.flatpak-builder) where it runs.
        with tempfile.TemporaryDirectory() as scratch:
            run = subprocess.run([builder, "--show-manifest", os.path.abspath(path)],
                                 capture_output=True, text=True, timeout=60, cwd=scratch)
        warnings = [line for line in run.stderr.splitlines() if line.strip()]
        check("flatpak-builder reads the manifest without warnings",
              run.returncode == 0 and not warnings, *warnings)

    lightbox = next((m for m in modules if m.get("name") == "lightbox"), {})
    sources = lightbox.get("sources", [])
    check("lightbox builds with meson from this folder",
          lightbox.get("buildsystem") == "meson"
          and any(s.get("type") == "dir" and s.get("path") == ".." for s in sources))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
    failed = 0
    for number, (passed, name, diagnostics) in enumerate(results, 1):
        print(f"{'ok' if passed else 'not ok'} {number} - {name}")
        for line in diagnostics:
            print(f"# {line}")
        failed |= not passed
    print(f"1..{len(results)}")
    sys.exit(1 if failed else 0)
