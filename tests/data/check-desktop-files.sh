#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Validates what the desktop sees of Lightbox: the built desktop file and
# AppStream metainfo (with their translations merged in), the GSettings
# schema and the icons. Prints TAP, one line per check.
# Usage: check-desktop-files.sh BUILT.desktop BUILT.metainfo.xml SOURCE_DATA_DIR
set -uo pipefail

desktop=$1 metainfo=$2 data_dir=$3
app_id=org.lightbox.Lightbox
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME COMMAND…: runs the command, its output as TAP diagnostics.
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name"; fi
  [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
  return 0
}
have() { command -v "$1" >/dev/null 2>&1; }

if have desktop-file-validate; then
  check "desktop file validates (desktop-file-validate)" desktop-file-validate "$desktop"
else
  skip "desktop file validates" "desktop-file-validate is not installed"
fi
check "desktop file starts the lightbox binary" grep -Eq '^Exec=lightbox( |$)' "$desktop"
check "desktop file names the app icon" grep -qx "Icon=$app_id" "$desktop"
for lang in de es; do
  check "desktop file has the $lang comment merged in" \
    grep -Eq "^Comment\[$lang\]=.+" "$desktop"
  check "desktop file has the $lang keywords, ending with ';'" \
    grep -Eq "^Keywords\[$lang\]=.+;$" "$desktop"
done

if have appstreamcli; then
  check "metainfo validates (appstreamcli validate --no-net)" appstreamcli validate --no-net "$metainfo"
else
  skip "metainfo validates" "appstreamcli is not installed"
fi
check "metainfo says the output is a draft for a professional to verify" \
  grep -q 'draft for a qualified professional to verify' <(tr -s '[:space:]' ' ' < "$metainfo")
check "metainfo has an OARS content rating" grep -q '<content_rating type="oars-1' "$metainfo"
check "metainfo launches the desktop file" \
  grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo"
check "metainfo has a release" grep -Eq '<release version="[0-9.]+" date="[0-9-]+"' "$metainfo"
for lang in de es; do
  check "metainfo has the $lang summary merged in" grep -q "<summary xml:lang=\"$lang\">" "$metainfo"
done

if have glib-compile-schemas; then
  check "schema compiles (glib-compile-schemas --strict --dry-run)" \
    glib-compile-schemas --strict --dry-run "$data_dir"
else
  skip "schema compiles" "glib-compile-schemas is not installed"
fi
check "schema names the gettext domain" grep -q 'gettext-domain="lightbox"' "$data_dir/$app_id.gschema.xml"

app_icon=$data_dir/icons/hicolor/scalable/apps/$app_id.svg
symbolic_icon=$data_dir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg
py=${PYTHON:-python3}
check "app icon is a well-formed 128×128 SVG" "$py" - "$app_icon" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.get("viewBox") == "0 0 128 128", root.get("viewBox")
PY
# GTK recolours the fills of a symbolic icon; a stroke or a raster image
# would keep its own colour and look wrong in the dark style.
check "symbolic icon is a 16×16 SVG of filled shapes only" "$py" - "$symbolic_icon" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("viewBox") == "0 0 16 16", root.get("viewBox")
for el in root.iter():
    tag = el.tag.split("}")[-1]
    assert tag not in ("image", "text"), f"<{tag}> in a symbolic icon"
    assert el.get("stroke") in (None, "none"), f"<{tag}> has a stroke"
    assert "stroke:" not in (el.get("style") or ""), f"<{tag}> has a stroke style"
PY

echo "1..$n"
exit $failed
