#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SRv6 topology of the failover tests (sourced after tpc_lib.sh): the 2-path
# failure topology of the TPC paper (tpc.md §9.2, §10) generalised to
# NPATHS disjoint paths.
#
#   hA -- rS --+-- rCS0 -- rCD0 --+-- rD -- hB
#              +-- rCS1 -- rCD1 --+
#              +-- rCS2 -- rCD2 --+        (NPATHS = 3)
#
#   hA  fd00:a::2/64 (client)       hB  fd00:b::2/64 (server)
#   rS  fd00:a::1, fd01:1i::1       rD  fd00:b::1, fd01:3i::2
#   rCSi fd01:1i::2, fd01:2i::1     rCDi fd01:2i::2, fd01:3i::1
#
# Branch i's segments (SIDs): fc00::3i at rCDi (A->B, waypoint of hA's path
# i) and fc00::2i at rCSi (B->A). They are seg6local "End" routes, not
# local addresses: End does what a waypoint must (SL--, DA = next segment,
# forward) and exercises CONFIG_IPV6_SEG6_LWTUNNEL; the native alternative
# (the SID on lo, processed by ipv6_srh_rcv) would work the same for the
# module.
#
# Without an SRH both directions use branch 0. Every router-router egress
# (rS-rCSi, rCSi-rCDi, rCDi-rD, both ends) has HTB 100mbit with a netem
# child "delay D limit 100000" (D = 1 ms: RTT 6 ms); host links are not
# shaped. A failure is netem "loss 100%" on the core link's egress of one
# direction (tpc.md §9.2), never a link down.
#
# Hosts: seg6_enabled (they are the SRH's last segment), txrehash 0, no
# TSO/GSO/GRO, routes with advmss 1280. Routers: forwarding, seg6_enabled.
#
# After srv6_setup: $hA $rS $rD $hB and ${SRV6_CS[i]} ${SRV6_CD[i]} name
# the namespaces (they are in NS_LIST too, for cleanup_all_ns); interfaces
# are eth0 in hosts and to-<peer> in routers.
#
#   srv6_setup NPATHS [DELAY_MS]   build it; srv6_teardown removes it
#   srv6_fail PATHS fwd|rev|both   fail branches (PATHS: "0" or "0,1")
#   srv6_heal PATHS fwd|rev|both   undo; srv6_heal_all heals everything
#   srv6_core_delay PATHS fwd|rev|both MS   one-way core-link delay
#   srv6_install_paths [NPATHS]    the module's paths for both hosts
#   srv6_remove_paths              delete them
#   srv6_check_branches PORT       each branch works alone (no module)

SRV6_A=fd00:a::2
SRV6_B=fd00:b::2
SRV6_NPATHS=0
SRV6_DELAY=1
# Seconds between cutting the ACK and the data direction (srv6_fail both).
SRV6_FAIL_GAP=${SRV6_FAIL_GAP:-0.2}
SRV6_CS=()
SRV6_CD=()
SRV6_CORE_FWD=()
SRV6_CORE_REV=()
SRV6_TMP=

# Every process start costs 0.2-1 s in an emulated guest, so the topology
# is built with few of them: one "ip -batch" in init_net creates the
# namespaces and veth pairs, then one shell per namespace (in parallel)
# sets its sysctls and runs one "ip -batch" and one "tc -batch".

# srv6_ns_sh NS ROLE: the shell script configuring namespace NS (its ip
# and tc batches are $SRV6_TMP/NS.ip and NS.tc).
srv6_ns_sh() {
	local ns=$1 role=$2
	cat <<-EOF
		set -e
		cd /proc/sys/net
		# seg6_enabled is min(all, ingress interface): set it everywhere.
		for f in ipv6/conf/*/seg6_enabled; do echo 1 >"\$f"; done
		for f in ipv6/conf/*/accept_dad; do echo 0 >"\$f"; done
		# RPS on every veth: a veth hands packets to the backlog of the
		# CPU that sent them, so a flow sent from two CPUs gets reordered,
		# and the resulting spurious retransmissions reach TPC receivers
		# as duplicates. RPS queues each flow on one CPU by its hash.
		for f in /sys/class/net/*/queues/rx-*/rps_cpus; do echo $SRV6_RPS >"\$f"; done
	EOF
	if [ "$role" = router ]; then
		echo "echo 1 >ipv6/conf/all/forwarding"
	else
		# txrehash: no flow-label repathing of our own (tpc.md §11).
		echo "echo 0 >core/txrehash"
		echo "echo 1 >ipv4/tcp_no_metrics_save"
	fi
	echo "ip -batch $SRV6_TMP/$ns.ip"
	[ -s "$SRV6_TMP/$ns.tc" ] && echo "tc -batch $SRV6_TMP/$ns.tc"
	[ "$role" = host ] && echo "ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true"
	return 0
}

# The init_net batch line of a veth pair: srv6_veth NS1 IF1 NS2 IF2
srv6_veth() {
	echo "link add name $2 netns $1 type veth peer name $4 netns $3"
}

# tc batch lines shaping one router egress (HTB 100mbit, netem delay).
srv6_shape() {
	echo "qdisc add dev $1 root handle 1: htb default 1"
	echo "class add dev $1 parent 1: classid 1:1 htb rate 100mbit burst 15k quantum 1514"
	echo "qdisc add dev $1 parent 1:1 handle 10: netem delay ${SRV6_DELAY}ms limit 100000"
}

# srv6_setup NPATHS [ONE_WAY_DELAY_MS]
srv6_setup() {
	local n=${1:-2} i ns sfx="$$-$RANDOM" rc=0 pids=()
	SRV6_NPATHS=$n
	SRV6_DELAY=${2:-1}
	SRV6_TMP=$(mktemp -d)
	SRV6_RPS=$(printf %x $(((1 << $(nproc)) - 1)))
	hA=ha-$sfx
	rS=rs-$sfx
	rD=rd-$sfx
	hB=hb-$sfx
	SRV6_CS=()
	SRV6_CD=()
	SRV6_CORE_FWD=()
	SRV6_CORE_REV=()
	for ((i = 0; i < n; i++)); do
		SRV6_CS+=("rcs$i-$sfx")
		SRV6_CD+=("rcd$i-$sfx")
	done
	local all=("$hA" "$rS" "$rD" "$hB" "${SRV6_CS[@]}" "${SRV6_CD[@]}")
	NS_LIST+=("${all[@]}")

	{
		for ns in "${all[@]}"; do
			echo "netns add $ns"
		done
		srv6_veth "$hA" eth0 "$rS" to-hA
		srv6_veth "$hB" eth0 "$rD" to-hB
		for ((i = 0; i < n; i++)); do
			srv6_veth "$rS" "to-cs$i" "${SRV6_CS[i]}" to-rS
			srv6_veth "${SRV6_CS[i]}" to-cd "${SRV6_CD[i]}" to-cs
			srv6_veth "${SRV6_CD[i]}" to-rD "$rD" "to-cd$i"
		done
	} | ip -batch - || return 1

	# Addresses, links up, routes (advmss 1280 leaves room for SRHs), and
	# the shaping of every router-router egress.
	cat >"$SRV6_TMP/$hA.ip" <<-EOF
		link set lo up
		addr add $SRV6_A/64 dev eth0 nodad
		link set eth0 up
		route add ::/0 via fd00:a::1 dev eth0 advmss 1280
	EOF
	cat >"$SRV6_TMP/$hB.ip" <<-EOF
		link set lo up
		addr add $SRV6_B/64 dev eth0 nodad
		link set eth0 up
		route add ::/0 via fd00:b::1 dev eth0 advmss 1280
	EOF
	{
		echo "link set lo up"
		echo "addr add fd00:a::1/64 dev to-hA nodad"
		echo "link set to-hA up"
		for ((i = 0; i < n; i++)); do
			echo "addr add fd01:1$i::1/64 dev to-cs$i nodad"
			echo "link set to-cs$i up"
		done
		for ((i = 0; i < n; i++)); do
			echo "route add fc00::2$i/128 via fd01:1$i::2"
			echo "route add fc00::3$i/128 via fd01:1$i::2"
		done
		echo "route add fd00:b::/64 via fd01:10::2"
	} >"$SRV6_TMP/$rS.ip"
	{
		echo "link set lo up"
		echo "addr add fd00:b::1/64 dev to-hB nodad"
		echo "link set to-hB up"
		for ((i = 0; i < n; i++)); do
			echo "addr add fd01:3$i::2/64 dev to-cd$i nodad"
			echo "link set to-cd$i up"
		done
		for ((i = 0; i < n; i++)); do
			echo "route add fc00::2$i/128 via fd01:3$i::1"
			echo "route add fc00::3$i/128 via fd01:3$i::1"
		done
		echo "route add fd00:a::/64 via fd01:30::1"
	} >"$SRV6_TMP/$rD.ip"
	for ((i = 0; i < n; i++)); do
		srv6_shape "to-cs$i" >>"$SRV6_TMP/$rS.tc"
		srv6_shape "to-cd$i" >>"$SRV6_TMP/$rD.tc"
		cat >"$SRV6_TMP/${SRV6_CS[i]}.ip" <<-EOF
			link set lo up
			addr add fd01:1$i::2/64 dev to-rS nodad
			addr add fd01:2$i::1/64 dev to-cd nodad
			link set to-rS up
			link set to-cd up
			route add fd00:a::/64 via fd01:1$i::1
			route add fd00:b::/64 via fd01:2$i::2
			route add fc00::3$i/128 via fd01:2$i::2
			route add fc00::2$i/128 encap seg6local action End dev to-cd
		EOF
		{ srv6_shape to-rS; srv6_shape to-cd; } >"$SRV6_TMP/${SRV6_CS[i]}.tc"
		cat >"$SRV6_TMP/${SRV6_CD[i]}.ip" <<-EOF
			link set lo up
			addr add fd01:2$i::2/64 dev to-cs nodad
			addr add fd01:3$i::1/64 dev to-rD nodad
			link set to-cs up
			link set to-rD up
			route add fd00:b::/64 via fd01:3$i::2
			route add fd00:a::/64 via fd01:2$i::1
			route add fc00::2$i/128 via fd01:2$i::1
			route add fc00::3$i/128 encap seg6local action End dev to-cs
		EOF
		{ srv6_shape to-cs; srv6_shape to-rD; } >"$SRV6_TMP/${SRV6_CD[i]}.tc"
	done
	srv6_ns_sh "$hA" host >"$SRV6_TMP/$hA.sh"
	srv6_ns_sh "$hB" host >"$SRV6_TMP/$hB.sh"
	for ns in "$rS" "$rD" "${SRV6_CS[@]}" "${SRV6_CD[@]}"; do
		srv6_ns_sh "$ns" router >"$SRV6_TMP/$ns.sh"
	done
	for ns in "${all[@]}"; do
		ip netns exec "$ns" sh "$SRV6_TMP/$ns.sh" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	[ $rc = 0 ] || echo "# configuring the SRv6 namespaces failed"
	return $rc
}

srv6_teardown() {
	local ns
	[ "$SRV6_NPATHS" = 0 ] && return 0
	local all=("$hA" "$rS" "$rD" "$hB" "${SRV6_CS[@]}" "${SRV6_CD[@]}")
	for ns in "${all[@]}"; do
		ip netns pids "$ns" 2>/dev/null
	done | xargs -r kill 2>/dev/null
	for ns in "${all[@]}"; do
		echo "netns del $ns"
	done | ip -batch - 2>/dev/null
	for ns in "${all[@]}"; do
		remove_ns_list "$ns"
	done
	rm -rf "$SRV6_TMP"
	unset hA rS rD hB
	SRV6_CS=()
	SRV6_CD=()
	SRV6_NPATHS=0
}

# The netem of one direction of branch $1's core link: fwd is the data
# direction A->B (rCSi's egress), rev is B->A (rCDi's egress). Its delay is
# SRV6_DELAY unless srv6_core_delay changed it.
srv6_netem() {
	local path=$1 dir=$2
	shift 2
	local ns=${SRV6_CS[path]} dev=to-cd d=${SRV6_CORE_FWD[path]:-$SRV6_DELAY}
	if [ "$dir" = rev ]; then
		ns=${SRV6_CD[path]}
		dev=to-cs
		d=${SRV6_CORE_REV[path]:-$SRV6_DELAY}
	fi
	tc -n "$ns" qdisc change dev "$dev" parent 1:1 handle 10: netem \
		delay "${d}ms" limit 100000 "$@"
}

# srv6_core_delay PATHS fwd|rev|both MS: the one-way delay of the core link
# of each branch in PATHS (comma-separated) becomes MS (a decimal number of
# milliseconds); a branch's RTT is then 4 x SRV6_DELAY + fwd + rev. Heals a
# failed direction of those branches (netem is replaced as a whole). The tc
# commands run in parallel.
srv6_core_delay() {
	local p d pids=() rc=0
	for p in ${1//,/ }; do
		for d in fwd rev; do
			[ "$2" = both ] || [ "$2" = "$d" ] || continue
			if [ $d = fwd ]; then SRV6_CORE_FWD[p]=$3; else SRV6_CORE_REV[p]=$3; fi
			srv6_netem "$p" $d &
			pids+=($!)
		done
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return $rc
}

# srv6_fail PATHS fwd|rev|both: silently drop every packet of that
# direction on the core link of each branch in PATHS (comma-separated).
# "both" cuts the reverse (ACK) directions SRV6_FAIL_GAP s before the data
# directions, so data already past the failure point still reaches the
# receiver while its ACKs are lost, as when a real link dies under load.
# TPC's receiver needs such data: only the retransmission of a segment
# older than the last one acknowledged counts as a duplicate (tpc.md §2),
# so without it a receiver whose ACK path died never moves. The tc
# commands run in parallel: each takes most of a second in the guest.
srv6_fail() {
	local p pids=() rc=0
	case $2 in
	fwd | rev)
		for p in ${1//,/ }; do
			srv6_netem "$p" "$2" loss 100% &
			pids+=($!)
		done
		;;
	both)
		for p in ${1//,/ }; do
			srv6_netem "$p" rev loss 100% &
			pids+=($!)
		done
		sleep "$SRV6_FAIL_GAP"
		for p in ${1//,/ }; do
			srv6_netem "$p" fwd loss 100% &
			pids+=($!)
		done
		;;
	*) return 1 ;;
	esac
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	return $rc
}

# srv6_heal PATHS fwd|rev|both
srv6_heal() {
	local p d pids=() rc=0 dirs=$2
	[ "$dirs" = both ] && dirs="fwd rev"
	for p in ${1//,/ }; do
		for d in $dirs; do
			srv6_netem "$p" "$d" &
			pids+=($!)
		done
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	return $rc
}

srv6_heal_all() {
	local i list=0
	for ((i = 1; i < SRV6_NPATHS; i++)); do
		list+=",$i"
	done
	srv6_heal "$list" both
}

# Installs the module's paths for NPATHS branches: path 0 is direct (the
# routing table's branch 0), path k>0 goes through branch k's waypoint.
# hA's connections are keyed by fd00:b::/64, hB's by fd00:a::/64.
srv6_install_paths() {
	local n=${1:-$SRV6_NPATHS} i
	local fwd=(direct) rev=(direct)
	for ((i = 1; i < n; i++)); do
		fwd+=(via "fc00::3$i")
		rev+=(via "fc00::2$i")
	done
	"$TPCCTL" path replace fd00:b::/64 "${fwd[@]}" &&
	"$TPCCTL" path replace fd00:a::/64 "${rev[@]}"
}

srv6_remove_paths() {
	"$TPCCTL" path del fd00:b::/64 >/dev/null 2>&1
	"$TPCCTL" path del fd00:a::/64 >/dev/null 2>&1
	return 0
}

# Routes hA<->hB traffic through branch $1 > 0 with inline SRHs added by
# the routes themselves (no module involved).
srv6_route_branch() {
	ip -n "$hA" -6 route replace "$SRV6_B/128" encap seg6 mode inline \
		segs "fc00::3$1" dev eth0 advmss 1280 &&
	ip -n "$hB" -6 route replace "$SRV6_A/128" encap seg6 mode inline \
		segs "fc00::2$1" dev eth0 advmss 1280
}

srv6_unroute_branch() {
	ip -n "$hA" -6 route del "$SRV6_B/128" 2>/dev/null
	ip -n "$hB" -6 route del "$SRV6_A/128" 2>/dev/null
	return 0
}

# A TCP handshake hA -> hB:PORT (something must listen there) within MS ms.
srv6_probe() {
	ip netns exec "$hA" "$HELPER" probe "$SRV6_B" "$1" "$2" >/dev/null
}

# Proves that each branch forwards on its own, without the module: a TCP
# handshake (SYN over fc00::3k, SYN-ACK over fc00::2k) works through
# branch 0 by routing alone and through branch k > 0 by inline SRHs with
# branch 0 failed, and stops working once that branch fails too. Needs a
# listener on hB port $1.
srv6_check_branches() {
	local port=$1 k rc=0
	if ! slowwait 10 srv6_probe "$port" 1000; then
		echo "# branch 0: no handshake"
		return 1
	fi
	srv6_fail 0 both
	if srv6_probe "$port" 1500; then
		echo "# branch 0: handshake despite its failure"
		rc=1
	else
		echo "# branch 0: forwards; blackholed by its netem loss"
	fi
	for ((k = 1; k < SRV6_NPATHS && rc == 0; k++)); do
		srv6_route_branch "$k" || rc=1
		if [ $rc = 0 ] && ! slowwait 10 srv6_probe "$port" 1000; then
			echo "# branch $k: no handshake through fc00::3$k / fc00::2$k"
			rc=1
		fi
		srv6_fail "$k" both
		if [ $rc = 0 ] && srv6_probe "$port" 1500; then
			echo "# branch $k: handshake despite its failure"
			rc=1
		fi
		[ $rc = 0 ] && echo "# branch $k: forwards; blackholed by its netem loss"
		srv6_heal "$k" both
	done
	srv6_unroute_branch
	srv6_heal 0 both
	return $rc
}
