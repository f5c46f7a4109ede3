#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of ktap-summary.py, the verdict of a guest run: it must count cases
correctly and fail on every kind of bad evidence. Prints TAP."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

GOOD_KTAP = """TAP version 13
1..2
# selftests: d: a.sh
# TAP version 13
# 1..3
# ok 1 first
# ok 2 second # SKIP no tool
# not ok 3 third
not ok 1 selftests: d: a.sh # exit=1
# selftests: d: b.sh
# 1..0 # SKIP not root
ok 2 selftests: d: b.sh # SKIP
"""
CLEAN_DMESG = "[    1.0] tcp_pathchanger: version 0.1.0 loaded\n"


def run(ktap, dmesg=CLEAN_DMESG, leaks="", rc="0", vng=0):
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("ktap.log", ktap), ("dmesg.txt", dmesg),
                           ("kmemleak.txt", leaks), ("kselftest.rc", rc)):
            if text is not None:
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
        p = subprocess.run([sys.executable, os.path.join(HERE, "ktap-summary.py"), d, str(vng)],
                           capture_output=True, text=True)
        return p.returncode, p.stdout.strip().splitlines()[-1]


ALL_OK = "# selftests: d: a.sh\n# ok 1 x\n# ok 2 y\nok 1 selftests: d: a.sh\n"
cases = [
    ("counts cases, skips and a failing case", run(GOOD_KTAP, rc="1"),
     (1, "3 passed, 2 failed, 2 skipped")),
    ("all good", run(ALL_OK), (0, "5 passed, 0 failed, 0 skipped")),
    ("WARN in dmesg fails", run(ALL_OK, dmesg="WARNING: CPU: 1 PID: 5 at x\n"),
     (1, "4 passed, 1 failed, 0 skipped")),
    ("lockdep splat fails", run(ALL_OK, dmesg="WARNING: possible circular locking dependency detected\n"),
     (1, "4 passed, 1 failed, 0 skipped")),
    ("kmemleak report fails", run(ALL_OK, leaks="unreferenced object 0xffff (size 64):\n"),
     (1, "4 passed, 1 failed, 0 skipped")),
    ("missing kmemleak output fails", run(ALL_OK, leaks=None),
     (1, "4 passed, 1 failed, 0 skipped")),
    ("guest crash (vng 255, no output) fails", run("", dmesg=None, leaks=None, rc=None, vng=255),
     (1, "0 passed, 4 failed, 0 skipped")),
    ("script timeout without failing case fails",
     run("# selftests: d: a.sh\n# ok 1 x\nnot ok 1 selftests: d: a.sh # TIMEOUT 300 seconds\n", rc="1"),
     (1, "3 passed, 2 failed, 0 skipped")),
]
print("TAP version 13")
print("1..%d" % len(cases))
bad = 0
for i, (name, got, want) in enumerate(cases, 1):
    ok = got == want
    bad += not ok
    print("%s %d %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        print("# got %r, want %r" % (got, want))
print("%d passed, %d failed" % (len(cases) - bad, bad))
sys.exit(1 if bad else 0)
