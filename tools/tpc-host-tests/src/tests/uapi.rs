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
    P(offsetof(struct tpc_conn_info, retrans));
    P(TPC_MSG_PATH_SET); P(TPC_MSG_PATH_DEL); P(TPC_MSG_PATH_GET);
    P(TPC_MSG_SET_FAILOVER); P(TPC_MSG_SUBSCRIBE); P(TPC_MSG_ACK);
    P(TPC_MSG_PATH_ENTRY); P(TPC_MSG_EVENT);
    P(TPC_MAX_PREFIXES); P(TPC_MAX_PATHS); P(TPC_MAX_SEGMENTS); P(TPC_MAX_SRH_LEN);
    P(sizeof(struct tpc_prefix)); P(sizeof(struct tpc_path_set)); P(TPC_PATH_SET_EXCL);
    P(sizeof(struct tpc_path_hdr)); P(sizeof(struct tpc_failover));
    P(TPC_STRATEGY_OFF); P(TPC_STRATEGY_NRTO); P(TPC_STRATEGY_TIMEOUT);
    P(TPC_STRATEGY_INHERIT); P(TPC_SCOPE_GLOBAL);
    P(TPC_REASON_INIT); P(TPC_REASON_RTO); P(TPC_REASON_DUPDATA); P(TPC_REASON_TIMEOUT);
    P(TPC_REASON_PIN); P(TPC_REASON_REQUEST); P(TPC_REASON_COUNT);
    P(sizeof(struct tpc_path_entry)); P(sizeof(struct tpc_path_entry_path));
    P(sizeof(struct tpc_event)); P(offsetof(struct tpc_event, saddr));
    P(TPC_SO_PIN); P(TPC_SO_MOVE); P(TPC_PIN_NONE);
    P(TPC_CONN_F_MANAGED); P(TPC_CONN_F_PINNED); P(TPC_CONN_F_CLOSING); P(TPC_PATH_NONE);
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
        ("offsetof(struct tpc_conn_info, retrans)", 52),
        ("TPC_MSG_PATH_SET", MsgType::PathSet as i64),
        ("TPC_MSG_PATH_DEL", MsgType::PathDel as i64),
        ("TPC_MSG_PATH_GET", MsgType::PathGet as i64),
        ("TPC_MSG_SET_FAILOVER", MsgType::SetFailover as i64),
        ("TPC_MSG_SUBSCRIBE", MsgType::Subscribe as i64),
        ("TPC_MSG_ACK", MsgType::Ack as i64),
        ("TPC_MSG_PATH_ENTRY", MsgType::PathEntry as i64),
        ("TPC_MSG_EVENT", MsgType::Event as i64),
        ("TPC_MAX_PREFIXES", crate::paths::MAX_PREFIXES as i64),
        ("TPC_MAX_PATHS", crate::paths::MAX_PATHS as i64),
        ("TPC_MAX_SEGMENTS", crate::srh::MAX_SEGMENTS as i64),
        ("TPC_MAX_SRH_LEN", crate::srh::MAX_SRH_LEN as i64),
        ("sizeof(struct tpc_prefix)", PREFIX_FIELD_LEN as i64),
        ("sizeof(struct tpc_path_set)", PATH_SET_HDR_LEN as i64),
        ("TPC_PATH_SET_EXCL", PATH_SET_EXCL as i64),
        ("sizeof(struct tpc_path_hdr)", PATH_HDR_LEN as i64),
        ("sizeof(struct tpc_failover)", FAILOVER_BODY_LEN as i64),
        ("TPC_STRATEGY_OFF", crate::paths::StrategyKind::Off as i64),
        ("TPC_STRATEGY_NRTO", crate::paths::StrategyKind::Nrto as i64),
        (
            "TPC_STRATEGY_TIMEOUT",
            crate::paths::StrategyKind::Timeout as i64
        ),
        ("TPC_STRATEGY_INHERIT", KIND_INHERIT as i64),
        ("TPC_SCOPE_GLOBAL", SCOPE_GLOBAL as i64),
        ("TPC_REASON_INIT", crate::paths::Reason::Init as i64),
        ("TPC_REASON_RTO", crate::paths::Reason::Rto as i64),
        ("TPC_REASON_DUPDATA", crate::paths::Reason::DupData as i64),
        ("TPC_REASON_TIMEOUT", crate::paths::Reason::Timeout as i64),
        ("TPC_REASON_PIN", crate::paths::Reason::Pin as i64),
        ("TPC_REASON_REQUEST", crate::paths::Reason::Request as i64),
        ("TPC_REASON_COUNT", crate::paths::REASONS as i64),
        ("sizeof(struct tpc_path_entry)", PATH_ENTRY_HDR_LEN as i64),
        (
            "sizeof(struct tpc_path_entry_path)",
            PATH_ENTRY_PATH_HDR_LEN as i64
        ),
        ("sizeof(struct tpc_event)", EVENT_BODY_LEN as i64),
        ("offsetof(struct tpc_event, saddr)", 32),
        ("TPC_SO_PIN", SO_PIN as i64),
        ("TPC_SO_MOVE", SO_MOVE as i64),
        ("TPC_PIN_NONE", PIN_NONE as i64),
        ("TPC_CONN_F_MANAGED", CONN_F_MANAGED as i64),
        ("TPC_CONN_F_PINNED", CONN_F_PINNED as i64),
        ("TPC_CONN_F_CLOSING", CONN_F_CLOSING as i64),
        ("TPC_PATH_NONE", PATH_NONE as i64),
    ];
    for (k, v) in want {
        assert_eq!(c.get(k), Some(&v), "{k}");
    }
}
