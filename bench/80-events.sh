# 80-events.sh - event rule dispatch latency: the time from an event (its
# envelope "time") to the start of its rule's target, median and p90 of
# 20 events (8 in the quick mode), for the background pass each commit starts and for a
# `dispatch --follow` service; idle, and while two other processes keep
# writing unrelated events to the store (load). EventBridge's own
# figure, for scale: "typically within half a second" (not measured
# here: no peer runs on this machine).
. "$BENCH_DIR/lib-report.sh"
events=$(quick 8 20)
mlops init >/dev/null
export MLOPS_STORE=$PWD/.mlops
mlops event rule add bench --pattern '{"source":["bench"]}' \
	--target 'echo $MLOPS_EVENT_ID $(date +%s.%N) >>starts'

measure() {	# MODE LOAD
	: >starts
	pids=
	if [ "$2" = load ]; then
		for w in 1 2; do
			(while :; do echo '{"source":"noise","detail-type":"x","detail":{}}' |
				MLOPS_NO_AUTO_DISPATCH=1 mlops event put >/dev/null; done) &
			pids="$pids $!"
		done
	fi
	if [ "$1" = follow ]; then
		mlops config set events.auto_dispatch false >/dev/null
		mlops event dispatch --follow >/dev/null 2>&1 &
		pids="$pids $!"
	else
		mlops config set events.auto_dispatch true >/dev/null
	fi
	for i in $(seq 1 "$events"); do
		echo '{"source":"bench","detail-type":"x","detail":{}}' | mlops event put >/dev/null
		while [ "$(wc -l <starts)" -lt "$i" ]; do sleep 0.01; done
	done
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null
	mlops event log --json --source bench | jq -r '[.id, .time] | @tsv' >times
	$PYTHON - "$1" "$2" times starts <<-\PY
	import sys, datetime, statistics
	t = {}
	for l in open(sys.argv[3]):
	    i, s = l.split()
	    t[i] = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
	        tzinfo=datetime.timezone.utc).timestamp()
	seen = set(t)
	d = sorted(float(s) - t[i] for i, s in (l.split() for l in open(sys.argv[4])) if i in seen)
	t.clear()
	print("%-22s %-6s %8.1f %8.1f %6d" % (sys.argv[1], sys.argv[2],
	      1000 * statistics.median(d), 1000 * d[int(0.9 * (len(d) - 1))], len(d)))
	PY
	mlops event rule rm bench >/dev/null
	mlops event rule add bench --pattern '{"source":["bench"]}' \
		--target 'echo $MLOPS_EVENT_ID $(date +%s.%N) >>starts'
}

printf "%-22s %-6s %8s %8s %6s\n" "dispatch" "store" "p50 ms" "p90 ms" "events"
measure "background pass" idle | tee -a out
measure "background pass" load | tee -a out
measure "follower" idle | tee -a out
measure "follower" load | tee -a out
awk '{ m = $1; for (i = 2; i <= NF - 4; i++) m = m " " $i
	print m "\t" $(NF - 3) "\t" $(NF - 2) }' out |
while IFS='	' read -r mode store p50; do
	report_row events "dispatch p50, $mode, $store" "$p50" - - ms
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
