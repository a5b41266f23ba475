#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the build into a temporary DESTDIR and checks what a packager
# gets: the two programs, the desktop file, the metainfo, the icons, the
# schema and the translations. Then, where the machine allows a private
# mount namespace, lays the DESTDIR over the real prefix (an overlay seen by
# this test only), hides the build folder and starts the installed app under
# LANGUAGE=de and LANGUAGE=es: the window must differ from the English one,
# which proves the installed binary finds its translations and data through
# the paths compiled into it.
# Prints TAP, one line per check.
# Usage: check-install.sh BUILD_ROOT SOURCE_ROOT PREFIX BINDIR DATADIR LOCALEDIR
set -uo pipefail

build=$1 source=$2 prefix=$3 bindir=$4 datadir=$5 localedir=$6
app_id=org.lightbox.Lightbox
# Option values may be relative to the prefix or absolute inside it.
under_prefix() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(under_prefix "$bindir")
datadir=$(under_prefix "$datadir")
localedir=$(under_prefix "$localedir")

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { [ -n "$1" ] && printf '%s\n' "$1" | sed 's/^/# /'; return 0; }
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name"; diag "$out"; fi
  return 0
}
have() { command -v "$1" >/dev/null 2>&1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
destdir=$tmp/destdir
root=$destdir$prefix

if out=$(meson install -C "$build" --destdir "$destdir" --no-rebuild 2>&1); then
  ok "meson install --destdir"
else
  not_ok "meson install --destdir"; diag "$(tail -20 <<< "$out")"
  echo "1..$n"; exit 1
fi

# The programs, run from where they were installed.
check "lightbox-cli is installed in bindir" test -x "$destdir$bindir/lightbox-cli"
version=$(grep -m1 -oE "version: *'[^']+'" "$source/meson.build" | grep -oE "[0-9][^']*")
check "the installed lightbox-cli runs and reports version $version" \
  grep -qx "lightbox-cli $version" <("$destdir$bindir/lightbox-cli" --version 2>&1)
app_built=false
[ -x "$build/src/app/lightbox" ] && app_built=true
if $app_built; then
  check "lightbox is installed in bindir" test -x "$destdir$bindir/lightbox"
else
  skip "lightbox is installed in bindir" "the desktop app is not built in this configuration"
fi

# What the desktop reads (installed with the app only).
desktop=$destdir$datadir/applications/$app_id.desktop
metainfo=$destdir$datadir/metainfo/$app_id.metainfo.xml
if ! $app_built; then
  for what in "the desktop file" "the metainfo" "the app icons"; do
    skip "$what is installed" "the desktop app is not built in this configuration"
  done
else
  check "the desktop file is installed" test -f "$desktop"
  if have desktop-file-validate; then
    check "the installed desktop file validates" desktop-file-validate "$desktop"
  else
    skip "the installed desktop file validates" "desktop-file-validate is not installed"
  fi
  check "the metainfo is installed" test -f "$metainfo"
  if have appstreamcli; then
    check "the installed metainfo validates" appstreamcli validate --no-net "$metainfo"
  else
    skip "the installed metainfo validates" "appstreamcli is not installed"
  fi
  check "the scalable app icon is installed" \
    test -f "$destdir$datadir/icons/hicolor/scalable/apps/$app_id.svg"
  check "the symbolic app icon is installed" \
    test -f "$destdir$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
fi

schemas=$destdir$datadir/glib-2.0/schemas
check "the settings schema is installed" test -f "$schemas/$app_id.gschema.xml"
mkdir -p "$tmp/schemas"
check "the installed schemas compile (glib-compile-schemas --strict)" \
  glib-compile-schemas --strict --targetdir="$tmp/schemas" "$schemas"

# The app's own data, read through PKGDATADIR (config.h).
if [ -f "$source/data/samples/meson.build" ] && $app_built; then
  samples=$(ls "$destdir$datadir/lightbox/samples" 2>/dev/null | grep -cv README)
  check "the bundled samples are installed in $datadir/lightbox/samples ($samples files)" \
    test "$samples" -gt 0
fi

# The translations: one .mo per language, as complete as its .po, and
# found by gettext where the program looks for them.
comment=$(sed -n 's/^Comment=//p' "$source/data/$app_id.desktop.in")
for lang in $(sed -e 's/#.*//' "$source/po/LINGUAS"); do
  mo=$destdir$localedir/$lang/LC_MESSAGES/lightbox.mo
  if [ ! -f "$mo" ]; then not_ok "the $lang translation is installed"; continue; fi
  ok "the $lang translation is installed"
  want=$(LC_ALL=C msgfmt --statistics -o /dev/null "$source/po/$lang.po" 2>&1 | grep -oE '^[0-9]+ translated')
  have_=$(msgunfmt "$mo" | LC_ALL=C msgfmt --statistics -o /dev/null - 2>&1 | grep -oE '^[0-9]+ translated')
  check "the installed $lang catalogue has every translation of po/$lang.po ($want)" \
    test -n "$want" -a "$want" = "$have_"
  got=$(LC_ALL=C.UTF-8 LANGUAGE=$lang TEXTDOMAINDIR=$destdir$localedir gettext -d lightbox "$comment")
  check "gettext finds the $lang desktop comment in the installed catalogue" \
    test -n "$got" -a "$got" != "$comment"
  diag "$lang: $got"
done

# The window under each language, from the installed prefix.
window_skip=""
if ! $app_built; then window_skip="the desktop app is not built in this configuration"
elif ! have xvfb-run; then window_skip="xvfb-run is not installed"
elif ! have dbus-run-session; then window_skip="dbus-run-session is not installed"
elif ! have unshare; then window_skip="unshare is not available"
elif ! unshare -m sh -c "mount -t overlay overlay -o lowerdir='$root:$prefix' '$prefix'" 2>/dev/null; then
  window_skip="this machine allows no private overlay mount of $prefix (needs root or user namespaces)"
elif ! "$build/src/app/lightbox" --help-all 2>/dev/null | grep -- '--screenshot' >/dev/null; then
  window_skip="the app has no --screenshot option yet"
fi

# shot LANGUAGE NAME: starts the installed app with the DESTDIR overlaid on
# the prefix and renders its window to $tmp/NAME.png (its messages in
# $tmp/NAME.log). The build folder is hidden under an empty tmpfs, so the
# app can only use what was installed. Every run shares one fresh home, at
# the same path, so that paths shown in the window are the same.
home=$tmp/home
shot() {
  local language=$1 name=$2
  unshare -m env LANGUAGE="$language" LC_ALL=C.UTF-8 \
    HOME="$home" XDG_CONFIG_HOME="$home/config" \
    XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache" \
    GSETTINGS_SCHEMA_DIR="$tmp/schemas" GSETTINGS_BACKEND=memory GTK_A11Y=none \
    XDG_DATA_DIRS="$datadir:/usr/local/share:/usr/share" \
    sh -c 'mount -t overlay overlay -o lowerdir="$1:$2" "$2" && mount -t tmpfs none "$3" &&
           shift 3 && exec "$@"' \
    sh "$root" "$prefix" "$build" \
    timeout 120 dbus-run-session -- xvfb-run -a -s "-screen 0 1366x768x24" \
    "$bindir/lightbox" --screenshot "$tmp/$name.png" --size 1366x768 > "$tmp/$name.log" 2>&1
}

if [ -n "$window_skip" ]; then
  skip "the installed app starts and renders its window" "$window_skip"
  skip "the window is German under LANGUAGE=de" "$window_skip"
  skip "the window is Spanish under LANGUAGE=es" "$window_skip"
else
  rm -rf "$home" && mkdir -p "$home"
  # The runs mostly wait for the window to settle: run them side by side.
  # English twice: the comparison means something only when the same
  # language renders the same pixels.
  shot C en & shot C en-again & shot de de & shot es es &
  wait
  if [ -s "$tmp/en.png" ]; then ok "the installed app starts and renders its window"
  else not_ok "the installed app starts and renders its window"; diag "$(cat "$tmp/en.log")"; fi
  for pair in de:German es:Spanish; do
    lang=${pair%%:*} name=${pair#*:}
    if [ ! -s "$tmp/$lang.png" ]; then
      not_ok "the window is $name under LANGUAGE=$lang"; diag "$(cat "$tmp/$lang.log")"
    elif cmp -s "$tmp/en.png" "$tmp/$lang.png"; then
      not_ok "the window is $name under LANGUAGE=$lang"; diag "the window looks exactly like the English one"
    elif ! cmp -s "$tmp/en.png" "$tmp/en-again.png"; then
      skip "the window is $name under LANGUAGE=$lang" "two English renderings differ, so a difference proves nothing"
    else
      ok "the window is $name under LANGUAGE=$lang"
    fi
    if [ -n "${LIGHTBOX_SCREENSHOT_DIR:-}" ] && [ -s "$tmp/$lang.png" ]; then
      cp "$tmp/$lang.png" "$LIGHTBOX_SCREENSHOT_DIR/window-$lang.png"
    fi
  done
fi
echo "1..$n"
exit $failed
