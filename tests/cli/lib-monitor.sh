# lib-monitor.sh - helpers for the mlops-monitor tests that run a real
# gateway (source lib-deploy.sh first).

# wait_capture ENDPOINT N: until N records are in completed files.
wait_capture() {
	for i in $(seq 1 200); do
		n=$(cat "$MLOPS_STORE"/capture/"$1"/*/*/*/*/*.jsonl 2>/dev/null | wc -l)
		test "$n" -ge "$2" && return 0
		sleep 0.1
	done
	echo >&2 "wait_capture: $n records of $1, expected $2"
	return 1
}
