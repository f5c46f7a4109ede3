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
    P(TPC_REASON_EXP3);
    P(offsetof(struct tpc_path_entry, index)); P(offsetof(struct tpc_path_entry, count));
    P(offsetof(struct tpc_path_entry, addr)); P(offsetof(struct tpc_path_entry, len));
    P(offsetof(struct tpc_path_entry, npaths)); P(offsetof(struct tpc_path_entry, strategy));
    P(offsetof(struct tpc_path_entry, n)); P(offsetof(struct tpc_path_entry, m));
    P(offsetof(struct tpc_path_entry, t_ms)); P(offsetof(struct tpc_path_entry, generation));
    P(offsetof(struct tpc_path_entry, moves)); P(offsetof(struct tpc_path_entry, apply_failed));
    P(sizeof(((struct tpc_path_entry *)0)->moves));
    P(TPC_MSG_SET_EXP3); P(TPC_MSG_EXP3_GET); P(TPC_MSG_EXP3_STATE); P(TPC_MSG_EXP3_UPDATE);
    P(TPC_MSG_CCP_GET); P(TPC_MSG_CCP_STATUS);
    P(TPC_EXP3_MAX_STATES); P(TPC_EXP3_HISTORY); P(TPC_EXP3_TOKENS); P(TPC_EXP3_GAMMA_ONE);
    P(TPC_EXP3_OFF); P(TPC_EXP3_ON); P(TPC_EXP3_INHERIT);
    P(TPC_EXP3_PRESET_TEXTBOOK); P(TPC_EXP3_PRESET_AS_CODED);
    P(TPC_EXP3_KEYLEN_INHERIT); P(TPC_EXP3_INHERIT_U32);
    P(sizeof(struct tpc_exp3_set));
    P(offsetof(struct tpc_exp3_set, addr)); P(offsetof(struct tpc_exp3_set, len));
    P(offsetof(struct tpc_exp3_set, mode)); P(offsetof(struct tpc_exp3_set, preset));
    P(offsetof(struct tpc_exp3_set, keylen)); P(offsetof(struct tpc_exp3_set, gamma_ppm));
    P(offsetof(struct tpc_exp3_set, hook_bytes)); P(offsetof(struct tpc_exp3_set, reserved));
    P(sizeof(struct tpc_exp3_state));
    P(offsetof(struct tpc_exp3_state, index)); P(offsetof(struct tpc_exp3_state, count));
    P(offsetof(struct tpc_exp3_state, key_addr)); P(offsetof(struct tpc_exp3_state, key_len));
    P(offsetof(struct tpc_exp3_state, npaths)); P(offsetof(struct tpc_exp3_state, failed));
    P(offsetof(struct tpc_exp3_state, nhist)); P(offsetof(struct tpc_exp3_state, entry_len));
    P(offsetof(struct tpc_exp3_state, on)); P(offsetof(struct tpc_exp3_state, preset));
    P(offsetof(struct tpc_exp3_state, keylen)); P(offsetof(struct tpc_exp3_state, entry_addr));
    P(offsetof(struct tpc_exp3_state, generation));
    P(offsetof(struct tpc_exp3_state, rtt_min_us)); P(offsetof(struct tpc_exp3_state, rtt_max_us));
    P(offsetof(struct tpc_exp3_state, gamma_ppm)); P(offsetof(struct tpc_exp3_state, hook_bytes));
    P(offsetof(struct tpc_exp3_state, reserved)); P(offsetof(struct tpc_exp3_state, updates));
    P(offsetof(struct tpc_exp3_state, failures)); P(offsetof(struct tpc_exp3_state, now_ns));
    P(sizeof(struct tpc_exp3_path));
    P(offsetof(struct tpc_exp3_path, weight_micro)); P(offsetof(struct tpc_exp3_path, draws));
    P(offsetof(struct tpc_exp3_path, share_ppm)); P(offsetof(struct tpc_exp3_path, prob_ppm));
    P(sizeof(struct tpc_exp3_sample));
    P(offsetof(struct tpc_exp3_sample, ktime_ns)); P(offsetof(struct tpc_exp3_sample, path));
    P(offsetof(struct tpc_exp3_sample, srtt_us)); P(offsetof(struct tpc_exp3_sample, reward_ppm));
    P(offsetof(struct tpc_exp3_sample, p_ppm));
    P(sizeof(struct tpc_exp3_update));
    P(offsetof(struct tpc_exp3_update, seq)); P(offsetof(struct tpc_exp3_update, lost));
    P(offsetof(struct tpc_exp3_update, ktime_ns)); P(offsetof(struct tpc_exp3_update, key_addr));
    P(offsetof(struct tpc_exp3_update, key_len)); P(offsetof(struct tpc_exp3_update, path));
    P(offsetof(struct tpc_exp3_update, npaths)); P(offsetof(struct tpc_exp3_update, srtt_us));
    P(offsetof(struct tpc_exp3_update, reward_ppm)); P(offsetof(struct tpc_exp3_update, p_ppm));
    P(offsetof(struct tpc_exp3_update, shares_ppm));
    P(sizeof(((struct tpc_exp3_update *)0)->shares_ppm));
    P((struct tpc_exp3_sample){ .reward_ppm = -1 }.reward_ppm);
    P(TPC_MSG_AUG_SET); P(TPC_MSG_AUG_GET); P(TPC_MSG_AUG_STATE);
    P(TPC_AUG_OFF); P(TPC_AUG_FIXED); P(TPC_AUG_LEARNED); P(TPC_AUG_MAX_WINDOW);
    P(TPC_AUG_DEFAULT_MSS); P(TPC_AUG_F_FRESH); P(TPC_AUG_F_CROSSED);
    P(sizeof(struct tpc_augment_set)); P(sizeof(struct tpc_augment_get));
    P(sizeof(struct tpc_augment_state));
    P(offsetof(struct tpc_augment_set, policy)); P(offsetof(struct tpc_augment_set, fixed));
    P(offsetof(struct tpc_augment_set, floor)); P(offsetof(struct tpc_augment_set, ceiling));
    P(offsetof(struct tpc_augment_get, mss));
    P(offsetof(struct tpc_augment_state, flags)); P(offsetof(struct tpc_augment_state, window));
    P(offsetof(struct tpc_augment_state, learned)); P(offsetof(struct tpc_augment_state, rate_bps));
    P(offsetof(struct tpc_augment_state, starts)); P(offsetof(struct tpc_augment_state, age_ms)); P(offsetof(struct tpc_augment_state, bdp_bytes));
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
        ("TPC_MSG_CCP_GET", MsgType::CcpGet as i64),
        ("TPC_MSG_CCP_STATUS", MsgType::CcpStatus as i64),
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
        ("TPC_REASON_EXP3", crate::paths::Reason::Exp3 as i64),
        // tpc_path_entry, field by field (the decoder's offsets).
        ("offsetof(struct tpc_path_entry, index)", 0),
        ("offsetof(struct tpc_path_entry, count)", 4),
        ("offsetof(struct tpc_path_entry, addr)", 8),
        ("offsetof(struct tpc_path_entry, len)", 24),
        ("offsetof(struct tpc_path_entry, npaths)", 25),
        ("offsetof(struct tpc_path_entry, strategy)", 26),
        ("offsetof(struct tpc_path_entry, n)", 28),
        ("offsetof(struct tpc_path_entry, m)", 32),
        ("offsetof(struct tpc_path_entry, t_ms)", 36),
        ("offsetof(struct tpc_path_entry, generation)", 40),
        ("offsetof(struct tpc_path_entry, moves)", 48),
        (
            "offsetof(struct tpc_path_entry, apply_failed)",
            48 + 8 * crate::paths::REASONS as i64
        ),
        (
            "sizeof(((struct tpc_path_entry *)0)->moves)",
            8 * crate::paths::REASONS as i64
        ),
        // EXP3.
        ("TPC_MSG_SET_EXP3", MsgType::SetExp3 as i64),
        ("TPC_MSG_EXP3_GET", MsgType::Exp3Get as i64),
        ("TPC_MSG_EXP3_STATE", MsgType::Exp3State as i64),
        ("TPC_MSG_EXP3_UPDATE", MsgType::Update as i64),
        ("TPC_EXP3_MAX_STATES", crate::exp3::MAX_STATES as i64),
        ("TPC_EXP3_HISTORY", crate::exp3::HISTORY as i64),
        ("TPC_EXP3_TOKENS", crate::exp3::TOKENS as i64),
        ("TPC_EXP3_GAMMA_ONE", crate::exp3::GAMMA_ONE as i64),
        ("TPC_EXP3_OFF", 0),
        ("TPC_EXP3_ON", 1),
        ("TPC_EXP3_INHERIT", crate::exp3::INHERIT_U8 as i64),
        (
            "TPC_EXP3_PRESET_TEXTBOOK",
            crate::exp3::Preset::Textbook as i64
        ),
        (
            "TPC_EXP3_PRESET_AS_CODED",
            crate::exp3::Preset::AsCoded as i64
        ),
        (
            "TPC_EXP3_KEYLEN_INHERIT",
            crate::exp3::Overrides::NONE.keylen as i64
        ),
        ("TPC_EXP3_INHERIT_U32", crate::exp3::INHERIT_U32 as i64),
        ("sizeof(struct tpc_exp3_set)", EXP3_SET_BODY_LEN as i64),
        ("offsetof(struct tpc_exp3_set, addr)", 0),
        ("offsetof(struct tpc_exp3_set, len)", 16),
        ("offsetof(struct tpc_exp3_set, mode)", 17),
        ("offsetof(struct tpc_exp3_set, preset)", 18),
        ("offsetof(struct tpc_exp3_set, keylen)", 19),
        ("offsetof(struct tpc_exp3_set, gamma_ppm)", 20),
        ("offsetof(struct tpc_exp3_set, hook_bytes)", 24),
        ("offsetof(struct tpc_exp3_set, reserved)", 28),
        ("sizeof(struct tpc_exp3_state)", EXP3_STATE_HDR_LEN as i64),
        ("offsetof(struct tpc_exp3_state, index)", 0),
        ("offsetof(struct tpc_exp3_state, count)", 4),
        ("offsetof(struct tpc_exp3_state, key_addr)", 8),
        ("offsetof(struct tpc_exp3_state, key_len)", 24),
        ("offsetof(struct tpc_exp3_state, npaths)", 25),
        ("offsetof(struct tpc_exp3_state, failed)", 26),
        ("offsetof(struct tpc_exp3_state, nhist)", 27),
        ("offsetof(struct tpc_exp3_state, entry_len)", 28),
        ("offsetof(struct tpc_exp3_state, on)", 29),
        ("offsetof(struct tpc_exp3_state, preset)", 30),
        ("offsetof(struct tpc_exp3_state, keylen)", 31),
        ("offsetof(struct tpc_exp3_state, entry_addr)", 32),
        ("offsetof(struct tpc_exp3_state, generation)", 48),
        ("offsetof(struct tpc_exp3_state, rtt_min_us)", 52),
        ("offsetof(struct tpc_exp3_state, rtt_max_us)", 56),
        ("offsetof(struct tpc_exp3_state, gamma_ppm)", 60),
        ("offsetof(struct tpc_exp3_state, hook_bytes)", 64),
        ("offsetof(struct tpc_exp3_state, reserved)", 68),
        ("offsetof(struct tpc_exp3_state, updates)", 72),
        ("offsetof(struct tpc_exp3_state, failures)", 80),
        ("offsetof(struct tpc_exp3_state, now_ns)", 88),
        ("sizeof(struct tpc_exp3_path)", EXP3_PATH_LEN as i64),
        ("offsetof(struct tpc_exp3_path, weight_micro)", 0),
        ("offsetof(struct tpc_exp3_path, draws)", 8),
        ("offsetof(struct tpc_exp3_path, share_ppm)", 16),
        ("offsetof(struct tpc_exp3_path, prob_ppm)", 20),
        ("sizeof(struct tpc_exp3_sample)", EXP3_SAMPLE_LEN as i64),
        ("offsetof(struct tpc_exp3_sample, ktime_ns)", 0),
        ("offsetof(struct tpc_exp3_sample, path)", 8),
        ("offsetof(struct tpc_exp3_sample, srtt_us)", 12),
        ("offsetof(struct tpc_exp3_sample, reward_ppm)", 16),
        ("offsetof(struct tpc_exp3_sample, p_ppm)", 20),
        ("sizeof(struct tpc_exp3_update)", UPDATE_BODY_LEN as i64),
        ("offsetof(struct tpc_exp3_update, seq)", 0),
        ("offsetof(struct tpc_exp3_update, lost)", 8),
        ("offsetof(struct tpc_exp3_update, ktime_ns)", 16),
        ("offsetof(struct tpc_exp3_update, key_addr)", 24),
        ("offsetof(struct tpc_exp3_update, key_len)", 40),
        ("offsetof(struct tpc_exp3_update, path)", 41),
        ("offsetof(struct tpc_exp3_update, npaths)", 42),
        ("offsetof(struct tpc_exp3_update, srtt_us)", 44),
        ("offsetof(struct tpc_exp3_update, reward_ppm)", 48),
        ("offsetof(struct tpc_exp3_update, p_ppm)", 52),
        ("offsetof(struct tpc_exp3_update, shares_ppm)", 56),
        (
            "sizeof(((struct tpc_exp3_update *)0)->shares_ppm)",
            4 * crate::paths::MAX_PATHS as i64
        ),
        // reward_ppm is signed, as in exp3::Sample.
        (
            "(struct tpc_exp3_sample){ .reward_ppm = -1 }.reward_ppm",
            -1
        ),
        ("TPC_MSG_AUG_SET", MsgType::AugSet as i64),
        ("TPC_MSG_AUG_GET", MsgType::AugGet as i64),
        ("TPC_MSG_AUG_STATE", MsgType::AugState as i64),
        ("TPC_AUG_OFF", crate::augment::POLICY_OFF as i64),
        ("TPC_AUG_FIXED", crate::augment::POLICY_FIXED as i64),
        ("TPC_AUG_LEARNED", crate::augment::POLICY_LEARNED as i64),
        ("TPC_AUG_MAX_WINDOW", crate::augment::MAX_WINDOW as i64),
        ("TPC_AUG_DEFAULT_MSS", AUG_DEFAULT_MSS as i64),
        ("TPC_AUG_F_FRESH", AUG_F_FRESH as i64),
        ("TPC_AUG_F_CROSSED", AUG_F_CROSSED as i64),
        ("sizeof(struct tpc_augment_set)", AUG_SET_BODY_LEN as i64),
        ("sizeof(struct tpc_augment_get)", AUG_GET_BODY_LEN as i64),
        ("sizeof(struct tpc_augment_state)", AUG_STATE_LEN as i64),
        ("offsetof(struct tpc_augment_set, policy)", 17),
        ("offsetof(struct tpc_augment_set, fixed)", 20),
        ("offsetof(struct tpc_augment_set, floor)", 24),
        ("offsetof(struct tpc_augment_set, ceiling)", 28),
        (
            "offsetof(struct tpc_augment_get, mss)",
            PREFIX_FIELD_LEN as i64
        ),
        ("offsetof(struct tpc_augment_state, flags)", 18),
        ("offsetof(struct tpc_augment_state, window)", 48),
        ("offsetof(struct tpc_augment_state, learned)", 52),
        ("offsetof(struct tpc_augment_state, starts)", 60),
        ("offsetof(struct tpc_augment_state, rate_bps)", 64),
        ("offsetof(struct tpc_augment_state, age_ms)", 96),
        ("offsetof(struct tpc_augment_state, bdp_bytes)", 120),
    ];
    let n = want.len();
    for (k, v) in want {
        assert_eq!(c.get(k), Some(&v), "{k}");
    }
    // Every value the probe prints is checked.
    assert_eq!(c.len(), n, "probe prints values the test does not check");
}
