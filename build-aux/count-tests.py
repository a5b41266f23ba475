#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts individual test cases from meson testlog.json files.

TAP programs count each "ok"/"not ok" line (skips counted apart); a program
that is not TAP, or that crashed before reporting a plan, counts as one case.
Prints "N passed, M failed, K skipped" as the last line.
"""
import json
import re
import sys

passed = failed = skipped = 0
tap_line = re.compile(r"^(not ok|ok)\b(.*)$")
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        cases = 0
        case_failures = 0
        program_failed = t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP")
        # meson 1.0 does not record the protocol: a TAP program is one whose
        # output has a plan line ("1..N") or result lines.
        stdout_lines = (t.get("stdout") or "").splitlines()
        is_tap = any(re.match(r"^(1\.\.\d+|ok\b|not ok\b)", l.strip()) for l in stdout_lines)
        if is_tap:
            for out in stdout_lines:
                m = tap_line.match(out.strip())
                if not m:
                    continue
                cases += 1
                rest = m.group(2)
                if "# SKIP" in rest or "# skip" in rest:
                    skipped += 1
                elif m.group(1) == "ok" or "# TODO" in rest:
                    passed += 1
                else:
                    failed += 1
                    case_failures += 1
        if cases == 0:
            if t.get("result") == "SKIP":
                skipped += 1
            elif program_failed:
                failed += 1
            else:
                passed += 1
        elif program_failed and case_failures == 0:
            # a crash or timeout after the cases it reported had passed
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
