// SPDX-License-Identifier: GPL-2.0

//! The C uapi header and the Rust side agree on every constant and layout.
//!
//! Compiles a small C program against `include/uapi/linux/tcp_pathchanger.h`
//! with the host C compiler and compares what it prints with `proto.rs`.

use crate::proto::*;
use std::collections::HashMap;
use std::process::Command;
use std::string::String;
use std::vec::Vec;
use std::{format, fs};

const PROBE: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include "tcp_pathchanger.h"
#define P(x) printf(#x " %lld\n", (long long)(x))
int main(void) {
    P(TPC_PROTO_VERSION); P(TPC_MSG_HDR_LEN); P(TPC_MSG_MAX);
    P(sizeof(struct tpc_msg_hdr)); P(offsetof(struct tpc_msg_hdr, seq));
    P(TPC_MSG_HELLO); P(TPC_MSG_GET_COUNTERS); P(TPC_MSG_GET_KNOBS);
    P(TPC_MSG_HELLO_REPLY); P(TPC_MSG_COUNTERS); P(TPC_MSG_KNOBS);
    P(sizeof(struct tpc_hello)); P(sizeof(struct tpc_hello_reply));
    P(sizeof(((struct tpc_hello_reply *)0)->module_version));
    P(sizeof(struct tpc_list_hdr));
    P(sizeof(struct tpc_counter)); P(sizeof(((struct tpc_counter *)0)->name));
    P(sizeof(struct tpc_knob)); P(sizeof(((struct tpc_knob *)0)->name));
    P(TPC_SOCKOPT_BASE); P(TPC_SOCKOPT_COUNT); P(TPC_SO_INFO);
    P(TPC_CONN_INFO_VERSION); P(TPC_CONN_F_INITIALIZED);
    P(sizeof(struct tpc_conn_info)); P(offsetof(struct tpc_conn_info, age_ns));
    P(offsetof(struct tpc_conn_info, cong_avoid_calls));
    return 0;
}
"#;

#[test]
fn c_header_matches_rust() {
    let top = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let dir = std::env::temp_dir().join(format!("tpc-uapi-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    let exe = dir.join("probe");
    fs::write(&src, PROBE).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| String::from("cc"));
    let st = Command::new(&cc)
        .args(["-Wall", "-Werror", "-I"])
        .arg(format!("{top}/include/uapi/linux"))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("run the C compiler");
    assert!(st.success(), "probe did not compile");
    let out = Command::new(&exe).output().unwrap();
    let _ = fs::remove_dir_all(&dir);
    let text = String::from_utf8(out.stdout).unwrap();
    let c: HashMap<&str, i64> = text
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k, v.parse().unwrap())
        })
        .collect();
    let want: Vec<(&str, i64)> = std::vec![
        ("TPC_PROTO_VERSION", PROTO_VERSION as i64),
        ("TPC_MSG_HDR_LEN", HDR_LEN as i64),
        ("TPC_MSG_MAX", MSG_MAX as i64),
        ("sizeof(struct tpc_msg_hdr)", HDR_LEN as i64),
        ("offsetof(struct tpc_msg_hdr, seq)", 8),
        ("TPC_MSG_HELLO", MsgType::Hello as i64),
        ("TPC_MSG_GET_COUNTERS", MsgType::GetCounters as i64),
        ("TPC_MSG_GET_KNOBS", MsgType::GetKnobs as i64),
        ("TPC_MSG_HELLO_REPLY", MsgType::HelloReply as i64),
        ("TPC_MSG_COUNTERS", MsgType::Counters as i64),
        ("TPC_MSG_KNOBS", MsgType::Knobs as i64),
        ("sizeof(struct tpc_hello)", 8),
        (
            "sizeof(struct tpc_hello_reply)",
            HELLO_REPLY_BODY_LEN as i64
        ),
        (
            "sizeof(((struct tpc_hello_reply *)0)->module_version)",
            VERSION_STR_LEN as i64
        ),
        ("sizeof(struct tpc_list_hdr)", LIST_HDR_LEN as i64),
        ("sizeof(struct tpc_counter)", COUNTER_ENTRY_LEN as i64),
        (
            "sizeof(((struct tpc_counter *)0)->name)",
            COUNTER_NAME_LEN as i64
        ),
        ("sizeof(struct tpc_knob)", KNOB_ENTRY_LEN as i64),
        ("sizeof(((struct tpc_knob *)0)->name)", KNOB_NAME_LEN as i64),
        ("TPC_SOCKOPT_BASE", SOCKOPT_BASE as i64),
        ("TPC_SOCKOPT_COUNT", SOCKOPT_COUNT as i64),
        ("TPC_SO_INFO", SO_INFO as i64),
        ("TPC_CONN_INFO_VERSION", CONN_INFO_VERSION as i64),
        ("TPC_CONN_F_INITIALIZED", CONN_F_INITIALIZED as i64),
        ("sizeof(struct tpc_conn_info)", CONN_INFO_LEN as i64),
        ("offsetof(struct tpc_conn_info, age_ns)", 32),
        ("offsetof(struct tpc_conn_info, cong_avoid_calls)", 28),
    ];
    for (k, v) in want {
        assert_eq!(c.get(k), Some(&v), "{k}");
    }
}
