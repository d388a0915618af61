# lib.sh - what the fault, crash and stress drivers share (tests/fault/run,
# tests/crash/run, tests/stress/run): the mutating verbs as scenarios, a
# logical dump of a store, and the checks a store must pass after any
# failure or crash. Sourced; expects $BUILD (the build folder).
#
# A scenario NAME is two functions: setup_NAME prepares a store (the
# "old" state) in $MLOPS_STORE, running in the scenario's work folder, and
# cmd_NAME runs the one mutating command under test there.

BIN=$(cd "$BUILD/bin" && pwd)
FAULT_SO=$(cd "$BUILD/tests" && pwd)/fault.so
DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)
PATH=$BIN:$PATH
export MLOPS_USER=reliability
# Rules would start a background dispatch after each command, racing the
# checks; dispatch is a scenario of its own.
export MLOPS_NO_AUTO_DISPATCH=1
unset MLOPS_DEPLOY_URL MLOPS_API_KEY

SCENARIOS="object_put feature_create feature_ingest feature_delete
registry_register registry_approve registry_import card_set
pipeline_run pipeline_cached deploy_create deploy_update gc
shadow_start monitor_schedule event_put config_set remote_add
rule_add rule_rm rule_enable rule_disable dispatch role_grant role_revoke
sync_model sync_features capture"

write_pipeline() {
	cat >pipeline.yaml <<-\EOF2
	name: p
	steps:
	  - name: a
	    run: echo hi >a.out
	    outputs: [a.out]
	  - name: b
	    run: cat a.out a.out >b.out
	    needs: [a]
    inputs: [a.out]
	    outputs: [b.out]
	EOF2
}

register_exec() {	# GROUP: an approved version served by cat
	echo "model $1 $RANDOM" >m.bin &&
	mlops-registry register "$1" --artifact m.bin --framework exec \
		--entry cat --status Approved >/dev/null
}

setup_object_put() { head -c 100000 /dev/urandom >data.bin; }
cmd_object_put() { mlops object put data.bin; }

setup_feature_create() { cp "$DATA/feature/group.yaml" .; }
cmd_feature_create() { mlops-feature create group.yaml; }

setup_feature_ingest() {
	mlops-feature create "$DATA/feature/group.yaml" >/dev/null &&
	mlops-feature ingest txn "$DATA/feature/batch1.csv" >/dev/null
}
cmd_feature_ingest() { mlops-feature ingest txn "$DATA/feature/batch2.csv"; }

setup_feature_delete() { setup_feature_ingest; }
cmd_feature_delete() {
	mlops-feature delete --event-time 2030-01-01T00:00:00Z txn u1
}

setup_registry_register() { echo weights >w.bin; register_exec g; }
cmd_registry_register() { mlops-registry register g --artifact w.bin; }

setup_registry_approve() {
	echo weights >w.bin &&
	mlops-registry register g --artifact w.bin >/dev/null
}
cmd_registry_approve() { mlops-registry approve g/1; }

setup_registry_import() {
	(export MLOPS_STORE=$PWD/other && mlops init other >/dev/null &&
	 register_exec g && mlops-registry export g/1 >v.tar)
}
cmd_registry_import() { mlops-registry import v.tar; }

setup_card_set() {
	register_exec g && mlops-registry card create g/1 >/dev/null
}
cmd_card_set() {
	mlops-registry card set g/1 intended_uses.risk_rating=Low \
		intended_uses.purpose_of_model=test
}

setup_pipeline_run() { write_pipeline; }
cmd_pipeline_run() { mlops-pipeline run; }

setup_pipeline_cached() { write_pipeline && mlops-pipeline run >/dev/null; }
cmd_pipeline_cached() { mlops-pipeline run; }

setup_deploy_create() { register_exec g; }
cmd_deploy_create() { mlops-deploy create ep --model g/1; }

setup_deploy_update() {
	register_exec g && mlops-deploy create ep --model g/1 >/dev/null &&
	register_exec g
}
cmd_deploy_update() { mlops-deploy update ep --model g/2; }

setup_gc() {
	echo kept | mlops object put >/dev/null &&
	register_exec g &&
	mlops-registry register g --artifact m.bin >/dev/null
}
cmd_gc() { mlops gc --grace 0; }

setup_shadow_start() { setup_deploy_update; }
cmd_shadow_start() { mlops-shadow start ep --model g/2 --name sh; }

setup_monitor_schedule() {
	register_exec g && mlops-deploy create ep --model g/1 >/dev/null &&
	printf 'a,b\n1,2\n3,4\n5,6\n' >ref.csv &&
	mlops-monitor baseline -o base --data ref.csv >/dev/null
}
cmd_monitor_schedule() {
	mlops-monitor schedule create --every 1h --endpoint ep --baseline base s
}

setup_event_put() {
	for i in 1 2 3 4 5; do
		echo "{\"source\":\"t\",\"detail-type\":\"T\",\"detail\":{\"i\":$i}}"
	done >ev.jsonl
}
cmd_event_put() { mlops event put ev.jsonl; }

setup_config_set() { :; }
cmd_config_set() { mlops config set environment staging; }

setup_remote_add() { mlops init other >/dev/null; }
cmd_remote_add() { mlops remote add prod "$PWD/other"; }

setup_rule_add() { :; }
cmd_rule_add() {
	mlops event rule add r --pattern '{"source":["t"]}' --target 'cat >/dev/null'
}

setup_rule_rm() { cmd_rule_add >/dev/null; }
cmd_rule_rm() { mlops event rule rm r; }

setup_rule_enable() { cmd_rule_add >/dev/null && cmd_rule_disable; }
cmd_rule_enable() { mlops event rule enable r; }

setup_rule_disable() { cmd_rule_add >/dev/null; }
cmd_rule_disable() { mlops event rule disable r; }

# One event for one rule: the delivery is done or not (several would be
# delivered one by one, each a state of its own).
setup_dispatch() {
	mlops event rule add r --pattern '{"source":["t"]}' \
		--target 'cat >>delivered' >/dev/null &&
	echo '{"source":"t","detail-type":"T","detail":{"i":1}}' |
	mlops event put >/dev/null
}
cmd_dispatch() { mlops event dispatch; }

setup_role_grant() { :; }
cmd_role_grant() { mlops role grant reliability admin; }

setup_role_revoke() {
	mlops role grant reliability admin >/dev/null &&
	mlops role grant bob data-scientist >/dev/null
}
cmd_role_revoke() { mlops role revoke bob; }

# A sync pulls from the store other/ of the work folder into this one:
# this store is the receiver, whose content must be old or new;
# check_store checks other/ too.
setup_sync_model() {
	(export MLOPS_STORE=$PWD/other/.mlops && mlops init other >/dev/null &&
	 register_exec g && mlops-registry card create g/1 >/dev/null)
}
cmd_sync_model() { mlops sync --from ./other model g/1; }

setup_sync_features() {
	(export MLOPS_STORE=$PWD/other/.mlops && mlops init other >/dev/null &&
	 setup_feature_ingest &&
	 mlops-feature ingest txn "$DATA/feature/batch2.csv" >/dev/null)
}
cmd_sync_features() { mlops sync --from ./other features txn; }

# A gateway answers five requests to an endpoint that captures them all,
# and stops. Only the capture's files are failed (FAULT_PATH): the
# answers must not suffer, and readers must accept whatever files the
# capture leaves, whole records each (check_capture). The status is the
# gateway's.
setup_capture() {
	register_exec g &&
	mlops-deploy create ep --model g/1 --capture 100 >/dev/null &&
	# 3 KB a request: records cross the writer's buffer boundaries.
	head -c 3000 /dev/zero | tr '\0' 7 >body.csv
}
cmd_capture() {
	local pid url i rc
	export FAULT_PATH=/capture/
	mlops-deploy serve --listen 127.0.0.1:0 --threads 1 --log gw.log &
	pid=$!
	for i in $(seq 1 600); do
		[ -s .mlops/gateway.url ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	url=$(cat .mlops/gateway.url 2>/dev/null)
	for i in 1 2 3 4 5; do
		curl -s -m 30 -o /dev/null -w "%{http_code}\n" \
			-H "Content-Type: text/csv" --data-binary @body.csv \
			"$url/endpoints/ep/invocations" >>answers
	done
	kill -TERM $pid 2>/dev/null
	wait $pid
	rc=$?
	echo $rc >gateway.status
	return $rc
}

# check_capture STORE: the gateway answered every request 200 and ended
# well (unless the crash driver killed it), and readers accept every
# capture file it completed: whole records, no more than were answered.
check_capture() {
	local work=${1%/.mlops} status n
	[ -d "$1/capture/ep" ] || return 0	# nothing captured
	status=$(cat "$work/gateway.status" 2>/dev/null)
	if [ "$status" != 137 ]; then
		[ "$status" = 0 ] || { echo "gateway status ${status:-none}"; return 1; }
		[ "$(grep -c '^200$' "$work/answers")" = 5 ] ||
			{ echo "answers: $(tr '\n' ' ' <"$work/answers")"; return 1; }
		[ -z "$(find "$1/capture" -name '*.part')" ] ||
			{ echo "a capture file left in progress"; return 1; }
	fi
	n=$(mlops-deploy --store "$1" capture ep 2>&1) ||
		{ echo "capture: $n"; return 1; }
	[ "$(printf '%s\n' "$n" | grep -c '"captureData"')" -le 5 ] ||
		{ echo "records: $n"; return 1; }
}

# dump_columns TABLE: the columns of TABLE that logical_dump shows; not
# the sizes of compressed files nor packed records, which hold the time.
dump_columns() {
	case $1 in
	feature_part) echo "id, group_id, rows" ;;
	feature_online) echo "group_id, record_id, event_time_us, deleted" ;;
	# A sorted run's file name has a random part and its stat the inode.
	feature_run) echo "group_id, first_part, last_part, rows, bytes" ;;
	# How many runs a delivery took: a second after a dispatcher died.
	event_delivery) echo "event_seq, rule, state, attempts" ;;
	*) echo "*" ;;
	esac
}

# logical_dump STORE: the store's content as a user sees it, stable
# across runs of the same command: every table but the bookkeeping of
# audit and events and gateway statistics, rows sorted, times, ids and
# hashes replaced by placeholders (they differ from run to run).
logical_dump() {
	local db=$1/mlops.db t
	for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN
		('event', 'audit_pending', 'endpoint_stats',
		 'endpoint_cold_start') ORDER BY name"); do
		echo "== $t"
		sqlite3 -csv "$db" "SELECT $(dump_columns "$t") FROM \"$t\"" |
		sed -E -e "s|${1%/.mlops}|W|g" \
			-e 's/[0-9]{8}T[0-9]{6}-[0-9a-f]{6}/R/g' \
			-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+Z?/T/g' \
			-e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/U/g' \
			-e 's/[0-9a-f]{16,}/H/g' -e 's/[0-9]{9,}/N/g' |
		sort
	done
}

# check_store STORE [strict]: fsck and the audit chain pass, or say why.
# Temporary files a killed command left are gc's to remove (DESIGN.md),
# so fsck's findings of that kind are cleared by gc first, unless strict
# (a command that failed and exited must clean up after itself).
check_store() {
	local out
	out=$(mlops --store "$1" fsck 2>&1)
	if [ $? -ne 0 ]; then
		if [ "$2" = strict ] || echo "$out" | grep -Evq 'left by (a )?killed command|^mlops: checked .* problems?$'; then
			echo "fsck: $out"
			return 1
		fi
		mlops --store "$1" gc --grace 0 >/dev/null 2>&1 &&
		out=$(mlops --store "$1" fsck 2>&1) ||
		{ echo "fsck after gc: $out"; return 1; }
	fi
	out=$(mlops --store "$1" audit verify 2>&1) ||
	{ echo "audit verify: $out"; return 1; }
	# The other store of a sync, which the command read or wrote too.
	if [ -d "${1%/.mlops}/other/.mlops" ]; then
		check_store "${1%/.mlops}/other/.mlops" "$2" |
			sed 's/^/other store: /'
		return "${PIPESTATUS[0]}"
	fi
}

# check_outcome STORE SCENARIO OLD NEW: the store holds the logical
# content of file OLD or of file NEW, model versions are numbered without
# holes; for a pipeline run, which is recorded whatever its end, instead:
# after the next `mlops-pipeline list` no run or step reads Executing (a
# runner that died leaves its run to the next command that looks); for a
# dispatch, which delivers at least once, the next dispatch ends in the
# new state (it runs what a dead or failed one left pending or running).
check_outcome() {
	local st=$1 state holes out
	case $2 in
	pipeline_*)
		out=$(mlops-pipeline --store "$st" list 2>&1) ||
			{ echo "pipeline list: $out"; return 1; }
		if sqlite3 "$st/mlops.db" "SELECT status FROM pipeline_run
			UNION ALL SELECT status FROM pipeline_step" |
			grep -qx 'Executing'; then
			echo "left Executing after the runner ended:"
			sqlite3 "$st/mlops.db" "SELECT id, status FROM pipeline_run"
			return 1
		fi ;;
	dispatch)
		out=$(cd "${st%/.mlops}" && mlops --store "$st" event dispatch 2>&1) ||
			{ echo "the next dispatch: $out"; return 1; }
		state=$(logical_dump "$st")
		[ "$state" = "$(cat "$4")" ] || {
			echo "not the new state after the next dispatch:"
			diff "$4" <(echo "$state") | head -n 8
			return 1
		} ;;
	*)
		state=$(logical_dump "$st")
		[ "$state" = "$(cat "$3")" ] || [ "$state" = "$(cat "$4")" ] || {
			echo "neither old nor new state:"
			diff "$3" <(echo "$state") | head -n 8
			return 1
		} ;;
	esac
	if declare -F "check_$2" >/dev/null; then
		"check_$2" "$st" || return 1
	fi
	holes=$(sqlite3 "$st/mlops.db" "SELECT group_name, count(*),
		max(version) FROM registry_version GROUP BY group_name
		HAVING count(*) != max(version)" 2>/dev/null)
	[ -z "$holes" ] || { echo "version numbers with holes: $holes"; return 1; }
}

# make_base DIR SCENARIO: a work folder DIR/base holding a fresh store
# (DIR/base/.mlops) prepared by setup_SCENARIO.
make_base() {
	mkdir -p "$1/base" &&
	(cd "$1/base" && export MLOPS_STORE=$PWD/.mlops &&
	 mlops init . >/dev/null && "setup_$2") >"$1/setup.log" 2>&1
}

# copy_base DIR NAME: a fresh copy DIR/NAME of DIR/base.
copy_base() {
	rm -rf "${1:?}/$2" && cp -a "$1/base" "$1/$2"
}

# cmd_lib FILE: write what `bash -c ". FILE; cmd_NAME"` needs to run a
# scenario's command under the shim (functions, PATH, DATA); run_cmd
# loads it.
cmd_lib() {
	{ declare -f; declare -p PATH DATA MLOPS_USER MLOPS_NO_AUTO_DISPATCH; } >"$1"
	CMD_LIB=$1
}

# run_cmd WORK SCENARIO [env...]: run cmd_SCENARIO (from cmd_lib's file)
# in WORK under the fault shim, with env added (FAULT_CALL, FAULT_N, ...);
# status in $rc, output in WORK.out and WORK.err. AddressSanitizer is told
# the preload is meant, as test-lib.sh does.
run_cmd() {
	local work=$1 sc=$2
	shift 2
	(cd "$work" && export MLOPS_STORE=$PWD/.mlops &&
	 env LD_PRELOAD="$FAULT_SO" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$@" \
		timeout -s KILL 120 bash -c ". \"$CMD_LIB\"; cmd_$sc" \
		>"$work.out" 2>"$work.err")
	rc=$?
}
