#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks the translations: POTFILES.in lists every source with marked
# strings, each language in LINGUAS compiles with `msgfmt -c --check-format`,
# and each one translates every string marked in the sources today (the
# template is extracted afresh, so a newly marked string fails here until
# it is translated). Prints TAP, one line per check.
# Usage: check-translations.sh SOURCE_ROOT
set -uo pipefail

root=$1
po=$root/po
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
diag() { [ -n "$1" ] && printf '%s\n' "$1" | sed 's/^/# /'; return 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The files POTFILES.in names, without comments and blank lines.
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$po/POTFILES.in" > "$tmp/listed"

missing=$(cd "$root" && while read -r f; do [ -f "$f" ] || echo "$f"; done < "$tmp/listed")
if [ -z "$missing" ]; then ok "every file in POTFILES.in exists"; else
  not_ok "every file in POTFILES.in exists"; diag "missing: $missing"; fi

# Sources with user-visible strings: C files that call a gettext macro,
# .ui files with a translatable property, the desktop, metainfo and schema
# templates. Each must be listed.
(cd "$root" && {
  grep -lE '\b(N?_|C_|NC_|g_dn?gettext)[[:space:]]*\(' src/app/*.c src/cli/*.c 2>/dev/null
  grep -l 'translatable="yes"' ui/*.ui ui/*/*.ui 2>/dev/null
  ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml 2>/dev/null
}) | sort -u > "$tmp/marked"
unlisted=$(comm -23 "$tmp/marked" <(sort -u "$tmp/listed"))
if [ -z "$unlisted" ]; then ok "POTFILES.in lists every source with marked strings ($(wc -l < "$tmp/marked") files)"; else
  not_ok "POTFILES.in lists every source with marked strings"; diag "not listed: $unlisted"; fi

# The template, extracted as meson's `lightbox-pot` target does (the
# keywords and flags of its 'glib' preset).
if out=$(cd "$root" && xgettext --package-name=lightbox --from-code=UTF-8 --add-comments \
      --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
      --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
      --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
      --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
      --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
      --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
      --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
      --flag=g_print:1:c-format --flag=g_printerr:1:c-format \
      --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format \
      --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
      --files-from="$tmp/listed" --output="$tmp/lightbox.pot" 2>&1); then
  count=$(msgattrib --no-obsolete "$tmp/lightbox.pot" 2>/dev/null | grep -c '^msgid "' )
  ok "xgettext extracts the template ($((count - 1)) messages)"
  # A format macro inside _() ("%" G_GINT64_FORMAT) cuts the msgid short:
  # the string shown at run time is then never found in the catalogue.
  warnings=$(grep 'warning:' <<< "$out")
  if [ -z "$warnings" ]; then ok "xgettext reads every marked string whole"
  else not_ok "xgettext reads every marked string whole"; diag "$warnings"
    diag "use a plain C format in _(), e.g. %lld with a (long long) cast, not G_GINT64_FORMAT"; fi
else
  not_ok "xgettext extracts the template"; diag "$out"
fi

langs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$po/LINGUAS")
for lang in de es; do
  if grep -qx "$lang" <<< "$langs"; then ok "LINGUAS lists $lang"; else not_ok "LINGUAS lists $lang"; fi
done

for lang in $langs; do
  file=$po/$lang.po
  if out=$(msgfmt -c --check-format -o /dev/null "$file" 2>&1); then
    ok "$lang.po compiles (msgfmt -c --check-format)"
  else
    not_ok "$lang.po compiles (msgfmt -c --check-format)"; diag "$out"; continue
  fi

  if msgattrib --no-wrap "$file" 2>/dev/null | grep -F "Language: $lang\\n" >/dev/null; then ok "$lang.po names its language"
  else not_ok "$lang.po names its language"; fi

  [ -f "$tmp/lightbox.pot" ] || { not_ok "$lang.po translates every marked string"; continue; }
  # Merge without fuzzy matching: a string counts only when translated
  # exactly and reviewed (no "fuzzy" flag).
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$file" "$tmp/lightbox.pot" 2>/dev/null
  # msgfmt counts; msgattrib lists the strings for the log.
  stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
  if [[ "$stats" != *untranslated* && "$stats" != *fuzzy* ]]; then
    ok "$lang.po translates every marked string ($stats)"
  else
    not_ok "$lang.po translates every marked string ($stats)"
    diag "$(msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$lang.po" | grep '^msgid ' | grep -vx 'msgid ""' | head -30)"
    diag "$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$tmp/$lang.po" | grep '^msgid ' | grep -vx 'msgid ""' | sed 's/^/fuzzy: /' | head -30)"
    diag "run: ninja -C <build> lightbox-pot; ninja -C <build> lightbox-update-po; then translate po/$lang.po"
  fi
done

echo "1..$n"
exit $failed
