#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A minimal CCP agent and device prober for the tcp_pathchanger selftests.

It speaks the libccp wire protocol on /dev/ccpkp directly (no portus), so
that the datapath's device semantics and enforcement can be checked
byte for byte:

  tpc_ccp_agent.py basics
      device node, READY on open, one agent (EBUSY), EAGAIN when empty,
      garbage and oversize writes refused, the device keeps working
  tpc_ccp_agent.py pin PKTS SECONDS LOG [MUTE]
      act as the agent for SECONDS: install a program that reports the
      flow's Cwnd every 100 kB acknowledged, switch every new flow to it
      with Cwnd = PKTS * mss, and set it again after every report; log
      "create sid= mss=", "report sid= acked= cwnd=" and "close sid=" lines;
      after MUTE seconds, keep reading but never answer (a hung agent)

Prints "# ..." diagnostics; exit status 0 on success.
"""

import errno
import os
import select
import struct
import sys
import time

DEV = "/dev/ccpkp"
CREATE, MEASURE, INSTALL, UPDATE, CHANGE_PROG, READY = 0, 1, 2, 3, 4, 5
# The datapath's ECHO extension.
ECHO = 0xfe
# Register types and opcodes (libccp).
CTL, IMM, IMPL, LOCAL, PRIM, VREP, REP, TMP = 0, 1, 2, 3, 4, 5, 6, 7
ADD, BIND, DEF, GT = 0, 1, 2, 6


def hdr(ty, length, sid):
    return struct.pack("<HHI", ty, length, sid)


def ins(op, res, left, right):
    return struct.pack("<BBIBIBI", op, res[0], res[1], left[0], left[1], right[0], right[1])


def install(uid):
    """Report.acked (volatile) and Report.cwnd; report past 100 kB."""
    code = [
        ins(DEF, (VREP, 0), (VREP, 0), (IMM, 0)),
        ins(DEF, (VREP, 1), (VREP, 1), (IMM, 0)),
        # event 0: always; accumulate, copy Cwnd, fall through
        ins(BIND, (IMPL, 0), (IMPL, 0), (IMM, 1)),
        ins(ADD, (TMP, 0), (VREP, 0), (PRIM, 0)),
        ins(BIND, (VREP, 0), (VREP, 0), (TMP, 0)),
        ins(BIND, (VREP, 1), (VREP, 1), (IMPL, 4)),
        ins(BIND, (IMPL, 1), (IMPL, 1), (IMM, 1)),
        # event 1: acked > 100000 -> report
        ins(GT, (IMPL, 0), (VREP, 0), (IMM, 100000)),
        ins(BIND, (IMPL, 2), (IMPL, 2), (IMM, 1)),
    ]
    events = struct.pack("<4I", 2, 1, 3, 4) + struct.pack("<4I", 7, 1, 8, 1)
    body = struct.pack("<III", uid, 2, len(code)) + events + b"".join(code)
    return hdr(INSTALL, 8 + len(body), 0) + body


def update_rec(reg_type, index, value):
    return struct.pack("<BIQ", reg_type, index, value)


def cwnd_update(sid, cwnd_bytes):
    return hdr(UPDATE, 12 + 13, sid) + struct.pack("<I", 1) + update_rec(IMPL, 4, cwnd_bytes)


def change_prog(sid, uid, cwnd_bytes):
    return (hdr(CHANGE_PROG, 16 + 13, sid) + struct.pack("<II", uid, 1)
            + update_rec(IMPL, 4, cwnd_bytes))


def messages(buf):
    off = 0
    while off + 8 <= len(buf):
        ty, length, sid = struct.unpack_from("<HHI", buf, off)
        if length < 8 or off + length > len(buf):
            raise ValueError("split or bad message at %d: len %d of %d" % (off, length, len(buf)))
        yield ty, sid, buf[off + 8:off + length]
        off += length
    if off != len(buf):
        raise ValueError("trailing %d bytes" % (len(buf) - off))


def expect_errno(what, want, fn):
    try:
        fn()
    except OSError as e:
        if e.errno != want:
            raise AssertionError("%s: %s, expected %s" % (what, errno.errorcode.get(e.errno), errno.errorcode[want]))
        print("# %s: %s" % (what, errno.errorcode[want]))
        return
    raise AssertionError("%s: succeeded, expected %s" % (what, errno.errorcode[want]))


def basics():
    st = os.stat(DEV)
    assert (st.st_mode & 0o170000) == 0o020000, "not a character device"
    assert (st.st_mode & 0o777) == 0o600, "mode %o" % (st.st_mode & 0o777)
    fd = os.open(DEV, os.O_RDWR | os.O_NONBLOCK)
    try:
        first = os.read(fd, 1024)
        assert list(messages(first)) == [(READY, 0, b"\0\0\0\0")], first.hex()
        print("# READY on open")
        expect_errno("second opener", errno.EBUSY, lambda: os.open(DEV, os.O_RDWR))
        expect_errno("read with nothing queued", errno.EAGAIN, lambda: os.read(fd, 1024))
        expect_errno("3-byte write", errno.EINVAL, lambda: os.write(fd, b"abc"))
        expect_errno("length field beyond the write", errno.EINVAL,
                     lambda: os.write(fd, hdr(UPDATE, 40, 1) + b"\0" * 4))
        expect_errno("update count mismatch", errno.EINVAL,
                     lambda: os.write(fd, hdr(UPDATE, 25, 1) + struct.pack("<I", 2) + update_rec(IMPL, 4, 1)))
        big = hdr(INSTALL, 0, 0) + b"\0" * 9000
        expect_errno("9008-byte write", errno.EMSGSIZE, lambda: os.write(fd, big))
        # ECHO comes back whole, and reads never split a message: three
        # 200-byte ECHOs, a 300-byte read gets one, a 100-byte read none.
        echoes = [hdr(ECHO, 200, k) + bytes([k]) * 192 for k in (1, 2, 3)]
        for m in echoes:
            assert os.write(fd, m) == len(m), "ECHO write"
        expect_errno("read smaller than the next message", errno.EINVAL,
                     lambda: os.read(fd, 100))
        got = os.read(fd, 300)
        assert got == echoes[0], "300-byte read: %d bytes" % len(got)
        got = os.read(fd, 4096)
        assert got == echoes[1] + echoes[2], "4096-byte read: %d bytes" % len(got)
        print("# ECHOs read back whole, one or several per read, never split")
        expect_errno("ECHO longer than 896 bytes", errno.EINVAL,
                     lambda: os.write(fd, hdr(ECHO, 897, 0) + b"\0" * 889))
        # Well-framed but meaningless: accepted (logged), nothing breaks.
        for what, m in [
            ("update for an unknown flow", cwnd_update(424242, 14480)),
            ("unknown type", hdr(77, 8, 0)),
            ("READY from the agent", hdr(READY, 12, 0) + b"\0" * 4),
            ("program with a bad opcode", hdr(INSTALL, 52, 0) + struct.pack("<III", 9, 1, 1)
             + struct.pack("<4I", 0, 1, 0, 0) + ins(15, (VREP, 0), (VREP, 0), (IMM, 0))),
        ]:
            n = os.write(fd, m)
            assert n == len(m), "%s: wrote %d of %d" % (what, n, len(m))
            print("# %s: accepted and ignored" % what)
        # Still a working device: a valid program is accepted.
        m = install(3)
        assert os.write(fd, m) == len(m)
        print("# valid INSTALL after the garbage: accepted")
    finally:
        os.close(fd)
    # A new agent gets READY again.
    fd = os.open(DEV, os.O_RDWR | os.O_NONBLOCK)
    try:
        assert list(messages(os.read(fd, 1024)))[0][0] == READY
        print("# READY again after re-open")
    finally:
        os.close(fd)
    return 0


def pin(pkts, seconds, log, mute=None):
    uid = 7
    out = open(log, "w", buffering=1)
    fd = os.open(DEV, os.O_RDWR)
    mss = {}
    start = time.time()
    end = start + seconds
    try:
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                continue
            buf = os.read(fd, 1024)
            if mute is not None and time.time() - start > mute:
                continue
            for ty, sid, body in messages(buf):
                if ty == READY:
                    os.write(fd, install(uid))
                    out.write("ready\n")
                elif ty == CREATE:
                    _, m = struct.unpack_from("<II", body)
                    mss[sid] = m
                    os.write(fd, change_prog(sid, uid, pkts * m))
                    out.write("create sid=%d mss=%d\n" % (sid, m))
                elif ty == MEASURE:
                    puid, n = struct.unpack_from("<II", body)
                    if n == 0:
                        out.write("close sid=%d\n" % sid)
                        continue
                    fields = struct.unpack_from("<%dQ" % n, body, 8)
                    out.write("report sid=%d uid=%d acked=%d cwnd=%d\n" % (sid, puid, fields[0], fields[1]))
                    os.write(fd, cwnd_update(sid, pkts * mss.get(sid, 1448)))
    finally:
        os.close(fd)
        out.close()
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "basics":
        return basics()
    if len(sys.argv) in (5, 6) and sys.argv[1] == "pin":
        mute = float(sys.argv[5]) if len(sys.argv) == 6 else None
        return pin(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], mute)
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, OSError, ValueError) as e:
        print("# %s" % e)
        sys.exit(1)
