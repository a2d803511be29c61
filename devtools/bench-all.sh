#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Every figure of issue 15 in one command (prints figures, asserts
# nothing):
#
#   devtools/bench-all.sh [--quick] [--write-doc] [--no-callgrind]
#
#   1. the driver's fast path against upstream net_mlx4 on the same fake
#      rings (devtools/bench-fastpath.sh), cycles per packet, ratio;
#   2. the whole emulated forward, stock dpdk-testpmd io, one forwarding
#      lcore, two ports, 64 B: mlx4r (generator + checker wire) against
#      net_null;
#   3. a looping forward between two ports ('start tx_first'), one lcore:
#      mlx4r wire=xconnect against a memif pair and against vhost-user +
#      virtio_user (Debian's DPDK PMDs), 64 B, and mlx4r against memif at
#      1500 B; figures 2 and 3 also with the emulated device's engine on
#      its own thread (engine=thread: the forwarding lcore runs the driver
#      only), each such run between two measures of the cross-core round
#      trip (devtools/xcore_rtt.c) that bounds it;
#   4. recovery times (build/app/mlx4r-reset-bench, proactive);
#   5. resident memory (VmRSS) and DPDK heap (testpmd's dump_socket_mem)
#      of testpmd with mlx4r against net_null, default configuration and
#      per queue x descriptor count;
#   6. instructions per forwarded frame (devtools/callgrind-fwd.sh):
#      what limits figure 2, independent of the machine's load.
#
# Figures 2 and 3 are same-run ratios: every round runs the contenders
# back to back, alternating which goes first, and prints its own ratio;
# the summary gives the median of the rounds' ratios and of each
# driver's Mpps. Each figure is printed with the load average of the
# moment (the machine may be shared). --quick: fewer, shorter rounds
# (about 8 minutes instead of 12). --write-doc: replace the generated
# table of doc/guides/nics/mlx4r_perf.rst (between its "bench-all"
# markers) with this run's. Environment: MLX4R_BUILD (build directory,
# default build), BENCH_ROUNDS, BENCH_SECONDS, TESTPMD. Run it through a
# private /var/run/dpdk (tools' isolated-test.sh --cmd) when other DPDK
# processes share the machine.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath "${MLX4R_BUILD:-$top/build}")
quick=0
write_doc=0
callgrind=1
for a in "$@"; do
	case $a in
	--quick) quick=1 ;;
	--write-doc) write_doc=1 ;;
	--no-callgrind) callgrind=0 ;;
	*) echo "usage: $0 [--quick] [--write-doc] [--no-callgrind]" >&2
	   exit 2 ;;
	esac
done
if [ $quick = 1 ]; then
	rounds=${BENCH_ROUNDS:-3}; seconds=${BENCH_SECONDS:-2}
	fp_args="7 1000"; resets=5; cg_seconds=10; cg_long=10
	reset_configs=1x512,4x512,16x4096
else
	rounds=${BENCH_ROUNDS:-7}; seconds=${BENCH_SECONDS:-3}
	fp_args="31 2000"; resets=20; cg_seconds=40; cg_long=18
	reset_configs=1x512,4x512,16x512,16x4096
fi
testpmd=${TESTPMD:-dpdk-testpmd}
wrap=
plugin_dir=$build/drivers/net/mlx4r
out_dir=$build/bench-all
doc=$top/doc/guides/nics/mlx4r_perf.rst
if [ ! -f "$plugin_dir/librte_net_mlx4r.so" ]; then
	echo "no $plugin_dir/librte_net_mlx4r.so: build first (MLX4R_BUILD)" >&2
	exit 1
fi
mkdir -p "$out_dir"
tmp=$(mktemp -d /tmp/mlx4r-bench-all.XXXXXX)
# shellcheck source=devtools/bench-huge.sh
. "$top/devtools/bench-huge.sh"
trap 'huge_release; rm -rf "$tmp"' EXIT
export LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
summary=$out_dir/summary.txt
: > "$summary"
mem="--no-huge -m 1024"
tp_app="-i --nb-cores=1 --rxq=1 --txq=1 --burst=32 --total-num-mbufs=16384 --no-mlockall"
mlx4r_gen="-d librte_net_mlx4r.so --vdev net_mlx4r0,ports=2,gen_size=60"
mlx4r_x="-d librte_net_mlx4r.so --vdev net_mlx4r0,ports=2,wire=xconnect"
memif="--vdev net_memif0,role=server,id=0,socket=$tmp/memif.sock --vdev net_memif1,role=client,id=0,socket=$tmp/memif.sock"

load() { cut -d' ' -f1-3 /proc/loadavg; }
# median of the numbers on stdin, one a line
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
	else if (NR % 2) print v[(NR + 1) / 2];
	else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
say() { echo "$@" | tee -a "$summary"; }

# EAL refuses a -d path under a world-writable directory: bare names.
cd /

# tp <frame bytes> <start command> <attach devargs or -> <EAL args...>:
# Mpps, the sum of both ports' Rx-pps over the measuring interval (the
# second 'show port stats all'). With attach devargs, the second port is
# hot-plugged after the first started (virtio_user connects to the vhost
# socket that net_vhost creates when its port starts).
tp() {
	local len=$1 start=$2 attach=$3; shift 3
	local out pps
	rm -f "$tmp/vhost.sock"
	out=$({
		if [ "$attach" != - ]; then
			sleep 1
			echo "port attach $attach"
			sleep 1
			echo "port start 1"
			sleep 1
		fi
		echo "set fwd io"
		echo "$start"
		sleep 1
		echo "show port stats all"
		sleep "$seconds"
		echo "show port stats all"
		echo "stop"
		echo "quit"
	} | timeout $((seconds + 60)) $wrap stdbuf -oL "$testpmd" -l 0-1 $mem \
		--no-pci --file-prefix=mlx4r_bench_all "$@" -- $tp_app \
		--txpkts="$len" 2>&1) || true
	pps=$(echo "$out" | sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' | tail -2 |
	      awk '{ s += $1 } END { printf "%.2f", s / 1e6 }')
	if [ "$pps" = "0.00" ]; then
		echo "$out" | tail -30 >&2
	fi
	echo "$pps"
}

# race <title> <frame bytes> <start> then pairs "<name> <attach> <args>"
# given as variables A_*, B_*, C_* (name, attach, args): rounds of the
# contenders back to back, the order rotated each round; ratios A/B, A/C.
race() {
	local title=$1 len=$2 start=$3 n
	local r i k name v rtt=
	local -a names atts args
	# the contenders: A and B, then C if named; D (mlx4r with
	# engine=thread) last, if named, compared with B and C as A is
	names=("$A_name" "$B_name")
	atts=("$A_att" "$B_att")
	args=("$A_args" "$B_args")
	if [ -n "${C_name:-}" ]; then
		names+=("$C_name"); atts+=("$C_att"); args+=("$C_args")
	fi
	local nb=${#names[@]}
	if [ -n "${D_name:-}" ]; then
		names+=("$D_name"); atts+=("$D_att"); args+=("$D_args")
	fi
	n=${#names[@]}
	say "== $title, $len B, '$start', $seconds s each, $rounds rounds, $mem (load $(load))"
	for k in $(seq 0 $((n - 1))); do : > "$tmp/race.$k"; done
	: > "$tmp/rtt"
	for r in $(seq "$rounds"); do
		local line="  round $r:"
		declare -A got=()
		for i in $(seq 0 $((n - 1))); do
			k=$(( (i + r) % n ))
			if [ "$k" -ge "$nb" ]; then
				# what engine=thread pays per line (xcore_rtt.c)
				rtt=$("$tmp/xcore_rtt" 0 1 200000 2>/dev/null |
				      awk '{ print $1 }')
				echo "${rtt:-n/a}" >> "$tmp/rtt"
			fi
			# shellcheck disable=SC2086
			v=$(tp "$len" "$start" "${atts[$k]}" ${args[$k]})
			got[$k]=$v
			echo "$v" >> "$tmp/race.$k"
			if [ "$k" -ge "$nb" ]; then
				# and after: the placement may change
				v=$("$tmp/xcore_rtt" 0 1 200000 2>/dev/null |
				    awk '{ print $1 }')
				echo "${v:-n/a}" >> "$tmp/rtt"
				rtt="$rtt/${v:-n/a}"
			fi
		done
		for k in $(seq 0 $((n - 1))); do
			line="$line ${names[$k]} ${got[$k]}"
		done
		line="$line Mpps"
		for k in $(seq 1 $((nb - 1))); do
			v=$(awk -v a="${got[0]}" -v b="${got[$k]}" \
				'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
			echo "$v" >> "$tmp/ratio.$k"
			line="$line, ${names[0]}/${names[$k]} $v"
			if [ "$n" -gt "$nb" ]; then
				v=$(awk -v a="${got[$nb]}" -v b="${got[$k]}" \
					'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
				echo "$v" >> "$tmp/ratio.d$k"
				line="$line, ${names[$nb]}/${names[$k]} $v"
			fi
		done
		[ "$n" -gt "$nb" ] &&
			line="$line, cross-core round trip before/after $rtt ns"
		say "$line (load $(load))"
		unset got
	done
	for k in $(seq 0 $((n - 1))); do
		v=$(median < "$tmp/race.$k")
		eval "MED_$k=$v"
		say "  median ${names[$k]}: $v Mpps"
	done
	for k in $(seq 1 $((nb - 1))); do
		v=$(median < "$tmp/ratio.$k")
		eval "RATIO_$k=$v"
		rm -f "$tmp/ratio.$k"
		say "  median of the rounds' ratios ${names[0]}/${names[$k]}: $v"
		if [ "$n" -gt "$nb" ]; then
			v=$(median < "$tmp/ratio.d$k")
			eval "RATIO_D$k=$v"
			rm -f "$tmp/ratio.d$k"
			say "  median of the rounds' ratios ${names[$nb]}/${names[$k]}: $v"
		fi
	done
	if [ "$n" -gt "$nb" ]; then
		MED_D=$(eval "echo \$MED_$nb")
		RTT=$(grep -v n/a "$tmp/rtt" | median |
		      awk '{ printf($1 == "n/a" ? "n/a" : "%.0f", $1) }')
		say "  median cross-core round trip around the ${names[$nb]} runs: $RTT ns"
	fi
}

# mem_one <EAL and app args...>: "<VmRSS MB> <DPDK heap allocated MB>"
# of a testpmd forwarding for 2 s (its rings and pools set up, touched).
mem_one() {
	local pid rss heap i
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	timeout 120 stdbuf -oL "$testpmd" -l 0-1 $mem --no-pci \
		--file-prefix=mlx4r_bench_all "$@" < "$tmp/in" \
		> "$tmp/mem.log" 2>&1 &
	pid=$!
	exec 3> "$tmp/in"
	echo "set fwd io" >&3
	echo "start" >&3
	# set up (pool populated, queues started) once forwarding started;
	# a loaded machine may take a while
	for i in $(seq 120); do
		grep -q "io packet forwarding" "$tmp/mem.log" && break
		sleep 0.5
	done
	sleep 2
	# timeout's child: stdbuf has exec'd testpmd
	rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' \
	      "/proc/$(pgrep -P $pid | head -1)/status" 2>/dev/null || echo n/a)
	echo "dump_socket_mem" >&3
	sleep 1
	echo "stop" >&3
	echo "quit" >&3
	exec 3>&-
	wait $pid || true
	heap=$(sed -n 's/^Total *: .* alloc: \([0-9.]*\)(.*/\1/p' \
	       "$tmp/mem.log" | head -1)
	printf "%s %.1f\n" "$rss" "${heap:-0}"
}

memory() {
	local qd q d a n m
	say "== memory: testpmd VmRSS and DPDK heap in use (MB), net_null vs mlx4r, 2 ports, $mem (load $(load))"
	n=$(mem_one --vdev net_null0 --vdev net_null1 -- -i --nb-cores=1 --no-mlockall)
	# shellcheck disable=SC2086
	m=$(mem_one $mlx4r_gen -- -i --nb-cores=1 --no-mlockall)
	say "  default (testpmd's own pool and descriptor counts): net_null $n, mlx4r $m" \
	    "$(echo "$n $m" | awk '{ printf "(RSS %+.2f %%)", ($3 / $1 - 1) * 100 }')"
	MEM_DEFAULT="$n $m"
	MEM_ROWS=
	for qd in 1x512 1x4096 4x512 16x512 16x4096; do
		q=${qd%x*}; d=${qd#*x}
		a="-- -i --nb-cores=1 --no-mlockall --rxq=$q --txq=$q --rxd=$d --txd=$d --total-num-mbufs=180000"
		# shellcheck disable=SC2086
		n=$(mem_one --vdev net_null0 --vdev net_null1 $a)
		# shellcheck disable=SC2086
		m=$(mem_one $mlx4r_gen $a)
		say "  $qd, 180000 mbufs: net_null $n, mlx4r $m $(echo "$n $m" |
		    awk '{ printf "(RSS %+.1f MB, %+.2f %%)", $3 - $1, ($3 / $1 - 1) * 100 }')"
		MEM_ROWS="$MEM_ROWS$qd $n $m
"
	done
}

recovery() {
	say "== recovery, proactive, $resets operator resets per row (load $(load))"
	timeout 900 "$build/app/mlx4r-reset-bench" --no-huge -m 3072 --no-pci \
		-l 0-1 --file-prefix=mlx4r_bench_all -- --resets "$resets" \
		--mode proactive --config "$reset_configs" 2>&1 |
		grep -E "queues x|driver|application|mbufs lost" |
		tee "$tmp/reset.log" | tee -a "$summary" || true
}

fastpath() {
	say "== driver fast path vs upstream net_mlx4 (bench-fastpath.sh $fp_args, load $(load))"
	# shellcheck disable=SC2086
	MLX4R_BUILD=$build "$top/devtools/bench-fastpath.sh" $fp_args \
		> "$tmp/fp.log" 2>&1 || true
	grep -E "^median|median of the rounds|best round|^  (upstream|mlx4r) " \
		"$tmp/fp.log" | tee -a "$summary" || tail -5 "$tmp/fp.log"
	FP_RATIO=$(sed -n "s/.*median of the rounds' ratios \([0-9.]*\).*/\1/p" \
		   "$tmp/fp.log")
}

# Where the forwarding lcore's time goes (sampled; perf's cpu-clock, as
# a guest may have no hardware counters): the mlx4r 64 B forward.
profile() {
	command -v perf > /dev/null || { say "== perf: not installed, skipped"; return 0; }
	say "== perf record -e cpu-clock, mlx4r 64 B forward, $((seconds * 4)) s (load $(load))"
	# long enough that EAL's and testpmd's start-up weigh little
	wrap="perf record -q -e cpu-clock -o $out_dir/perf.data --"
	# shellcheck disable=SC2086
	seconds=$((seconds * 4)) tp 64 start - $mlx4r_gen > /dev/null
	wrap=
	perf report -i "$out_dir/perf.data" --stdio --sort symbol 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -14 | tee -a "$summary" || true
}

# cg_total <seconds> <frame bytes> <start> <attach or -> <EAL args...>:
# "<frames> <instructions>" of a whole testpmd run under callgrind.
cg_total() {
	local sec=$1 len=$2 start=$3 attach=$4; shift 4
	local f i
	rm -f "$tmp/vhost.sock"
	{
		if [ "$attach" != - ]; then
			sleep 15
			echo "port attach $attach"
			sleep 5
			echo "port start 1"
			sleep 5
		fi
		if [ "$start" != - ]; then
			echo "set fwd io"
			echo "$start"
			sleep "$sec"
			echo "stop"
		fi
		echo "quit"
	} | timeout 600 valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/cgt.cg" "$testpmd" -l 0-1 \
		--no-huge -m 512 --no-pci --file-prefix=mlx4r_bench_all "$@" \
		-- $tp_app --txpkts="$len" > "$tmp/cgt.log" 2>&1 || true
	f=$(grep -A1 "Accumulated forward" "$tmp/cgt.log" |
	    sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p')
	i=$(callgrind_annotate "$tmp/cgt.cg" 2>/dev/null |
	    sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
	rm -f "$tmp/cgt.cg"
	echo "${f:-0} ${i:-0}"
}

# Instructions per forwarded frame of the whole process (testpmd, the
# PMDs, the device model), every contender: a run that never starts
# forwarding (start-up and tear-down, ports started, no frame) and a
# timed one; the difference divided by the timed run's frames. A first
# run that did start and stop at once (as before) could forward as many
# frames as the timed one on the looping forwards: under valgrind the
# prompt takes its time over 'stop', and the 32 frames of 'tx_first' go
# round all the while. A timed run that forwarded nothing is made again
# three times as long.
cg_slope() {
	echo "$1 $2 $3" | awk '{ n = NF
		f1 = $(n - 3); i1 = $(n - 2); f2 = $(n - 1); i2 = $n
		df = f2 - f1; di = i2 - i1
		sub(/ [0-9]+ [0-9]+ [0-9]+ [0-9]+$/, "")
		if (df > 0 && df * 5 > f1 + f2)
			printf "  %-12s %7.1f instructions/frame (runs of %.0f and %.0f frames)\n", $0, di / df, f1, f2
		else { printf "  %-12s n/a (runs of %.0f and %.0f frames)\n", $0, f1, f2; exit 1 } }'
}

cg_drivers() {
	local d name start att args a b
	say "== instructions per forwarded frame, whole testpmd, every contender (callgrind, runs of 0 and $cg_long s)"
	for d in "net_null|start|-|--vdev net_null0 --vdev net_null1" \
		 "mlx4r gen|start|-|$mlx4r_gen" \
		 "memif loop|start tx_first|-|$memif" \
		 "vhost loop|start tx_first|net_virtio_user0,path=$tmp/vhost.sock,queues=1|--vdev net_vhost0,iface=$tmp/vhost.sock,queues=1" \
		 "mlx4r loop|start tx_first|-|$mlx4r_x"; do
		IFS='|' read -r name start att args <<< "$d"
		# shellcheck disable=SC2086
		a=$(cg_total 0 64 - "$att" $args)
		# shellcheck disable=SC2086
		b=$(cg_total "$cg_long" 64 "$start" "$att" $args)
		if ! cg_slope "$name" "$a" "$b" > "$tmp/slope.txt"; then
			# shellcheck disable=SC2086
			b=$(cg_total $((cg_long * 3)) 64 "$start" "$att" $args)
			cg_slope "$name" "$a" "$b" > "$tmp/slope.txt" || true
		fi
		tee -a "$summary" < "$tmp/slope.txt"
	done
}

instructions() {
	say "== instructions per forwarded frame (callgrind-fwd.sh $cg_seconds s; load-independent)"
	MLX4R_BUILD=$build "$top/devtools/callgrind-fwd.sh" "$cg_seconds" \
		"$out_dir/cg" 2>&1 | tee "$tmp/cg.txt" | tee -a "$summary" || true
	CG_TOTAL=$(awk '$1 == "total" { print $2 }' "$tmp/cg.txt")
	CG_MODEL=$(sed -n 's/^ *device model (emu_\*, memcpy) *//p' "$tmp/cg.txt")
}

# the cross-core round trip printed beside the engine=thread figures
cc -O2 -pthread "$top/devtools/xcore_rtt.c" -o "$tmp/xcore_rtt"
say "bench-all: $(git -C "$top" describe --always --dirty 2>/dev/null || echo tree), DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'), $(nproc) cores, $( [ $quick = 1 ] && echo quick || echo full) run"
fastpath
# goal2_races <prefix>: goal 2's three races on the current $mem; their
# medians and ratios in <prefix>FWD_*, <prefix>LOOP_*, <prefix>BIG_*.
goal2_races() {
	local p=$1
	A_name=mlx4r A_att=- A_args=$mlx4r_gen
	B_name=net_null B_att=- B_args="--vdev net_null0 --vdev net_null1"
	C_name= C_att= C_args=
	D_name=mlx4r-thread D_att=- D_args="$mlx4r_gen,engine=thread"
	race "whole forward, generator in, checker out" 64 start
	printf -v "${p}FWD_M" %s "$MED_0"; printf -v "${p}FWD_N" %s "$MED_1"
	printf -v "${p}FWD_R" %s "$RATIO_1"
	printf -v "${p}FWD_T" %s "$MED_D"; printf -v "${p}FWD_RT" %s "$RATIO_D1"
	printf -v "${p}FWD_RTT" %s "$RTT"
	A_name=mlx4r A_att=- A_args=$mlx4r_x
	B_name=memif B_att=- B_args=$memif
	C_name=vhost C_att="net_virtio_user0,path=$tmp/vhost.sock,queues=1"
	C_args="--vdev net_vhost0,iface=$tmp/vhost.sock,queues=1"
	D_name=mlx4r-thread D_att=- D_args="$mlx4r_x,engine=thread"
	race "looping forward, 2 ports" 64 "start tx_first"
	printf -v "${p}LOOP_M" %s "$MED_0"; printf -v "${p}LOOP_MEMIF" %s "$MED_1"
	printf -v "${p}LOOP_VH" %s "$MED_2"
	printf -v "${p}LOOP_R1" %s "$RATIO_1"; printf -v "${p}LOOP_R2" %s "$RATIO_2"
	printf -v "${p}LOOP_T" %s "$MED_D"
	printf -v "${p}LOOP_RT1" %s "$RATIO_D1"; printf -v "${p}LOOP_RT2" %s "$RATIO_D2"
	printf -v "${p}LOOP_RTT" %s "$RTT"
	C_name=
	race "looping forward, 2 ports" 1500 "start tx_first"
	printf -v "${p}BIG_M" %s "$MED_0"; printf -v "${p}BIG_MEMIF" %s "$MED_1"
	printf -v "${p}BIG_R" %s "$RATIO_1"
	printf -v "${p}BIG_T" %s "$MED_D"; printf -v "${p}BIG_RT" %s "$RATIO_D1"
	printf -v "${p}BIG_RTT" %s "$RTT"
	D_name=
}

goal2_races ""
# The same three races on 2 MB hugepages (root; skipped, with the reason,
# otherwise). Without them every mbuf and ring is on 4 KB pages, and
# mlx4r's receive buffers, wherever the mempool's cache put them, cost
# the model's copy and the driver's receive and completion a page walk
# far more often than memif's ring slots, one after the other
# ("Hugepages" in mlx4r_perf.rst). One file per memory segment list
# (--single-file-segments) for every contender: vhost-user takes at most
# 8 memory regions from virtio_user.
# (not in a $(...): huge_reserve sets huge_dir and huge_saved here)
if huge_reserve > "$tmp/huge.txt"; then
	say "$(cat "$tmp/huge.txt")"
	mem_nohuge=$mem
	mem="-m 1024 --huge-dir $huge_dir --single-file-segments"
	goal2_races H
	mem=$mem_nohuge
	huge_release
else
	say "== races on 2 MB hugepages skipped: $(cat "$tmp/huge.txt")"
fi
recovery
memory
profile
CG_TOTAL=n/a CG_MODEL=n/a
if [ $callgrind = 1 ] && command -v valgrind > /dev/null; then
	instructions
	cg_drivers
fi

# The RST table (written into the guide with --write-doc).
rec() { # <QxD>: the driver's median ms of that row
	awk -v qd="$1" '
	/queues x/ { split($0, w, " "); cur = w[1] "x" w[4] }
	/driver \(request to LIVE\)/ && cur == qd { print $(NF - 5); exit }' \
		"$tmp/reset.log"
}
{
	echo ".. table:: issue 15's figures, one run of \`\`devtools/bench-all.sh$( [ $quick = 1 ] && echo ' --quick')\`\` ($(date -u +%Y-%m-%d), load average $(load))"
	echo
	echo "   ======================================  ====================  =============  ============"
	echo "   figure                                  mlx4r                 other          mlx4r/other"
	echo "   ======================================  ====================  =============  ============"
	printf "   %-38s  %-20s  %-13s  %s\n" \
		"fast path, Rx+Tx cycles (upstream)" "" "" "${FP_RATIO:-n/a}" \
		"64 B forward vs net_null, Mpps" "$FWD_M" "$FWD_N" "$FWD_R" \
		"64 B loop vs memif pair, Mpps" "$LOOP_M" "$LOOP_MEMIF" "$LOOP_R1" \
		"64 B loop vs vhost + virtio_user" "$LOOP_M" "$LOOP_VH" "$LOOP_R2" \
		"1500 B loop vs memif pair, Mpps" "$BIG_M" "$BIG_MEMIF" "$BIG_R" \
		"engine=thread: 64 B fwd vs net_null" "$FWD_T" "$FWD_N" "$FWD_RT" \
		"engine=thread: 64 B loop vs memif" "$LOOP_T" "$LOOP_MEMIF" "$LOOP_RT1" \
		"engine=thread: 64 B loop vs vhost" "$LOOP_T" "$LOOP_VH" "$LOOP_RT2" \
		"engine=thread: 1500 B loop vs memif" "$BIG_T" "$BIG_MEMIF" "$BIG_RT" \
		"cross-core round trip ns, 3 races" "$FWD_RTT / $LOOP_RTT / $BIG_RTT" "" ""
	if [ -n "${HFWD_R:-}" ]; then
		printf "   %-38s  %-20s  %-13s  %s\n" \
			"hugepages: 64 B fwd vs net_null" "$HFWD_M" "$HFWD_N" "$HFWD_R" \
			"hugepages: 64 B loop vs memif" "$HLOOP_M" "$HLOOP_MEMIF" "$HLOOP_R1" \
			"hugepages: 64 B loop vs vhost" "$HLOOP_M" "$HLOOP_VH" "$HLOOP_R2" \
			"hugepages: 1500 B loop vs memif" "$HBIG_M" "$HBIG_MEMIF" "$HBIG_R" \
			"hugepages, thread: 64 B fwd vs null" "$HFWD_T" "$HFWD_N" "$HFWD_RT" \
			"hugepages, thread: 64 B loop vs memif" "$HLOOP_T" "$HLOOP_MEMIF" "$HLOOP_RT1" \
			"hugepages, thread: 64 B loop vs vhost" "$HLOOP_T" "$HLOOP_VH" "$HLOOP_RT2" \
			"hugepages, thread: 1500 B vs memif" "$HBIG_T" "$HBIG_MEMIF" "$HBIG_RT" \
			"hugepages: cross-core trip ns, 3 races" "$HFWD_RTT / $HLOOP_RTT / $HBIG_RTT" "" ""
	fi
	for qd in ${reset_configs//,/ }; do
		printf "   %-38s  %-20s  %-13s  %s\n" "recovery $qd, proactive, ms" \
			"$(rec "$qd")" "" ""
	done
	set -- $MEM_DEFAULT
	printf "   %-38s  %-20s  %-13s  %s\n" \
		"RSS, testpmd default, MB (net_null)" "$3" "$1" \
		"$(awk -v a="$3" -v b="$1" 'BEGIN { printf "%.3f", a / b }')"
	echo "$MEM_ROWS" | while read -r qd n _ m _; do
		[ -n "$qd" ] || continue
		printf "   %-38s  %-20s  %-13s  %s\n" \
			"RSS, $qd, 180000 mbufs, MB" "$m" "$n" \
			"$(awk -v a="$m" -v b="$n" 'BEGIN { printf "%.3f", a / b }')"
	done
	printf "   %-38s  %-20s  %-13s  %s\n" \
		"driver + model instr. / frame (model)" "$CG_TOTAL ($CG_MODEL)" "" ""
	sed -n 's/^  \(.*[^ ]\)  *\([0-9][0-9.]*\) instructions\/frame.*/\1|\2/p' \
		"$summary" | while IFS='|' read -r name v; do
		case $name in
		mlx4r*) printf "   %-38s  %-20s  %-13s  %s\n" \
			"testpmd instr. / frame, $name" "$v" "" "" ;;
		*) printf "   %-38s  %-20s  %-13s  %s\n" \
			"testpmd instr. / frame, $name" "" "$v" "" ;;
		esac
	done
	echo "   ======================================  ====================  =============  ============"
} > "$out_dir/table.rst"
echo
cat "$out_dir/table.rst"
echo "summary: $summary, table: $out_dir/table.rst"

if [ $write_doc = 1 ]; then
	if ! grep -q '^\.\. bench-all begin' "$doc"; then
		echo "no '.. bench-all begin' marker in $doc" >&2
		exit 1
	fi
	awk -v t="$out_dir/table.rst" '
	/^\.\. bench-all begin/ { print; print ""; while ((getline l < t) > 0) print l; print ""; skip = 1; next }
	/^\.\. bench-all end/ { skip = 0 }
	!skip' "$doc" > "$tmp/doc" && cat "$tmp/doc" > "$doc"
	echo "updated $doc"
fi
