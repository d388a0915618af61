# lib-event.sh - helpers for the event rule tests (t50xx).

# wait_for COMMAND...: until COMMAND succeeds, for at most 60 s (a loaded
# machine), looking every 20 ms; then fails showing what it waited for.
wait_for() {
	for i in $(seq 1 3000); do
		"$@" && return 0
		sleep 0.02
	done
	echo >&2 "wait_for: gave up on: $*"
	return 1
}

# wait_lines FILE N: until FILE has N lines (or more: then fail).
wait_lines() {
	wait_for has_lines "$1" "$2" &&
	test "$(lines "$1")" -eq "$2"
}
has_lines() {
	test "$(lines "$1")" -ge "$2"
}

# dispatch_idle: no dispatch pass holds or waits for the store's locks
# (background passes included), so the store may be read or removed.
dispatch_idle() {
	d=$MLOPS_STORE/events
	{ [ ! -e "$d/run.lock" ] || flock -n "$d/run.lock" true; } &&
	{ [ ! -e "$d/queue.lock" ] || flock -n "$d/queue.lock" true; }
}

# lines FILE: the number of lines of FILE, 0 when it does not exist.
lines() {
	if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# put_event SOURCE DETAIL-TYPE DETAIL-JSON: record one event, print its id.
put_event() {
	printf '{"source":"%s","detail-type":"%s","detail":%s}\n' "$1" "$2" \
		"$3" | mlops event put
}

# lock_held FILE: some process holds a flock on FILE.
lock_held() {
	! flock -n "$1" true
}

# delivered RULE N: RULE has N deliveries done.
delivered() {
	test "$(mlops event rule show --json "$1" | jq .delivered)" = "$2"
}

# dead_letters N: the dead-letter list holds N deliveries.
dead_letters() {
	test "$(mlops event dead-letters --json | wc -l)" = "$1"
}
