# lib-web.sh - helpers for the mlops web tests (t70xx): a store built by
# the real programs, one of each thing the site shows, and a server on
# an ephemeral 127.0.0.1 port that the test stops itself (trap on exit
# of the test's subshell, and a timeout in case the trap never runs).

# web_store: in the current directory's store,
#   feature group "customers", ingested, a note "<script>alert(1)</script>";
#   a pipeline run of "demo" (prepare -> train -> report, and check) in a
#   git repository, one step's command holding <script>;
#   model group "churn" versions 1 (Approved, with a card whose
#   description is <script>alert(2)</script>) and 2;
#   endpoint "ep-web" serving churn/1, monitored by schedule "hourly".
# Sets RUN to the run's id.
web_store() {
	cat >customers.yaml <<-\YAML &&
	name: customers
	record_identifier: customer_id
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: string}
	  - {name: note,        type: string}
	  - {name: age,         type: integral}
	YAML
	mlops-feature create customers.yaml >/dev/null &&
	printf "%s\n" "customer_id,event_time,note,age" \
		"c1,2026-01-01T00:00:00Z,\"<script>alert(1)</script>\",30" \
		"c2,2026-01-02T00:00:00Z,plain,41" >rows.csv &&
	mlops-feature ingest customers rows.csv >/dev/null &&
	git init -q -b main repo &&
	git -C repo config user.email t@example.com &&
	git -C repo config user.name T &&
	cat >repo/pipeline.yaml <<-\EOF &&
	name: demo
	steps:
	  - {name: prepare, run: "echo prepared >data.txt", outputs: [data.txt]}
	  - {name: train, needs: [prepare], run: "cat data.txt >model.txt",
	     inputs: [data.txt], outputs: [model.txt]}
	  - {name: check, needs: [prepare], run: "echo '<script>alert(3)</script>'"}
	  - {name: report, needs: [train, check], run: "echo reported"}
	EOF
	git -C repo add . && git -C repo commit -q -m demo &&
	RUN=$(mlops-pipeline run -f repo/pipeline.yaml 2>run.err) &&
	echo cat >worker.sh &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card set churn/1 \
		"model_overview.model_description=<script>alert(2)</script>" \
		>/dev/null &&
	mlops-deploy create ep-web --model churn/1 >/dev/null &&
	printf "age,plan\n1,a\n2,b\n3,a\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null &&
	mlops-monitor schedule create hourly --endpoint ep-web \
		--baseline base >/dev/null
}

# start_web [ARGS...]: mlops web on an ephemeral port of 127.0.0.1 (or
# as ARGS say) in the background, stopped when the test's shell exits
# and after 120 s in any case; sets $URL and $WEB_PID, logs to web.log.
start_web() {
	timeout 120 mlops web --listen 127.0.0.1:0 "$@" >web.out 2>web.log &
	WEB_PID=$!
	trap 'kill $WEB_PID 2>/dev/null; wait $WEB_PID 2>/dev/null' EXIT
	for i in $(seq 1 400); do
		URL=$(sed -n 's/^mlops web: serving .* on \(http:[^ ]*\)$/\1/p' \
			web.log)
		test -n "$URL" && return 0
		kill -0 $WEB_PID 2>/dev/null || break
		sleep 0.05
	done
	echo >&2 "start_web: the server did not start"
	cat web.out web.log >&2
	return 1
}

# stop_web: SIGTERM, and the server exits 0 soon.
stop_web() {
	kill -TERM $WEB_PID && wait $WEB_PID
}
