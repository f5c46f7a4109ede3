#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judges a VM selftest run saved by vm-run.sh.

Prints the KTAP of the run, one extra result per kernel-log check, and a
final "N passed, N failed, N skipped" line counting the individual selftest
cases. Exits 0 only if nothing failed.
"""
import os
import re
import sys

out, vng_rc = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0

ktap = ""
try:
    with open(os.path.join(out, "ktap.log"), errors="replace") as f:
        ktap = f.read()
except OSError:
    pass
print(ktap, end="")

# Sub-results are the child scripts' lines, indented with "# " by the runner;
# each script ends with a top-level line "ok|not ok N selftests: DIR: NAME".
sub = re.compile(r"^# (not ok|ok) \d+ (.*?)(\s+# SKIP.*)?$")
top = re.compile(r"^(not ok|ok) \d+ selftests: \S+: (\S+)(.*)$")
cases = case_fail = 0
for line in ktap.splitlines():
    m = sub.match(line)
    if m:
        cases += 1
        if m.group(3):
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1
        else:
            failed += 1
            case_fail += 1
        continue
    m = top.match(line)
    if m:
        if m.group(1) == "not ok" and not case_fail:
            # Failed without a failing case: timeout, crash, bail out.
            failed += 1
        elif not cases and "SKIP" in m.group(3):
            skipped += 1
        cases = case_fail = 0
if not ktap.strip():
    print("not ok - the guest produced no selftest output (vng exit %d)" % vng_rc)
    failed += 1

checks = []
try:
    with open(os.path.join(out, "dmesg.txt"), errors="replace") as f:
        dmesg = f.read()
except OSError:
    dmesg = None
bad = re.compile(
    r"(BUG:|WARNING:|Oops|general protection fault|Kernel panic|"
    r"possible recursive locking|possible circular locking|inconsistent lock state|"
    r"lockdep|suspicious RCU usage|sleeping function called from invalid context|"
    r"soft lockup|hung_task|refcount_t:|UBSAN|KASAN|unreferenced object|Call Trace)"
)
if dmesg is None:
    checks.append((False, "kernel log saved by the guest", "missing dmesg.txt"))
else:
    hits = [l for l in dmesg.splitlines() if bad.search(l)]
    checks.append((not hits, "kernel log free of oops/BUG/WARN/lockdep/leak reports",
                   "\n".join(hits[:20])))
leaks = os.path.join(out, "kmemleak.txt")
if os.path.exists(leaks):
    text = open(leaks, errors="replace").read().strip()
    checks.append((not text, "kmemleak: no leaked objects after rmmod", text[:2000]))
else:
    checks.append((False, "kmemleak scan ran", "no kmemleak.txt"))
rc_file = os.path.join(out, "kselftest.rc")
guest_rc = open(rc_file).read().strip() if os.path.exists(rc_file) else None
checks.append((guest_rc == "0" and vng_rc == 0,
               "guest exit status propagated and zero",
               "run_kselftest.sh %s, vng %d" % (guest_rc, vng_rc)))

print("TAP version 13")
print("1..%d" % len(checks))
for i, (ok, name, detail) in enumerate(checks, 1):
    print("%s %d %s" % ("ok" if ok else "not ok", i, name))
    if not ok and detail:
        for l in detail.splitlines():
            print("# " + l)
    if ok:
        passed += 1
    else:
        failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
