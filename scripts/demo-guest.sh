#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo guest (see demo.sh).
set -euo pipefail
top=$1
tpcctl=$top/tools/target/release/tpcctl
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "guest kernel $(uname -r); loading tcp_pathchanger.ko"
insmod "$top/tcp_pathchanger.ko"
dmesg | grep tcp_pathchanger | tail -1
echo "available congestion control: $(cat /proc/sys/net/ipv4/tcp_available_congestion_control)"
ls -l /dev/tpc
sysctl net.tpc

say "tpcctl status"
"$tpcctl" status

say "two namespaces over a veth link shaped to 50 Mbit/s, 10 ms each way"
ip netns add demo-a
ip netns add demo-b
ip link add veth-a netns demo-a type veth peer name veth-b netns demo-b
ip -n demo-a addr add fd00:d::1/64 dev veth-a nodad
ip -n demo-b addr add fd00:d::2/64 dev veth-b nodad
ip -n demo-a link set veth-a up
ip -n demo-b link set veth-b up
ip -n demo-a link set lo up
ip -n demo-b link set lo up
for ns in demo-a:veth-a demo-b:veth-b; do
	tc -n "${ns%%:*}" qdisc add dev "${ns#*:}" root netem delay 10ms rate 50mbit limit 100
done

say "iperf3 -C tpc for 5 s (ss -ti after 2 s)"
ip netns exec demo-b iperf3 -s -1 -B fd00:d::2 >/dev/null &
sleep 1
ip netns exec demo-a iperf3 -c fd00:d::2 -C tpc -t 5 &
client=$!
sleep 3
echo "--- ss -ti in the client namespace:"
ip netns exec demo-a ss -tin 'dport = :5201' | grep -B1 -A1 -w tpc | head -6 || true
wait $client
wait

say "tpcctl status after the transfer"
"$tpcctl" status

say "unloading"
sleep 1
ip netns del demo-a
ip netns del demo-b
rmmod tcp_pathchanger && echo "tcp_pathchanger unloaded"
