# 17-web.sh - mlops web: how long each page takes to render over a store
# with 1,000 pipeline runs and 1,000 model versions (issue 17 asks for
# under 50 ms). One real run, version, card, endpoint and schedule are
# made with the programs; the SQL below copies the run and the version
# 999 times each, which is what those rows look like after 1,000 real
# ones. Each page is fetched 9 times with curl from a server on an
# ephemeral 127.0.0.1 port; the median of curl's time_total is shown,
# and the server's CPU time per fetch (from /proc), which a loaded
# machine does not inflate. No peer: the summary shows the slowest page.
. "$BENCH_DIR/lib-report.sh"
mlops init --env bench >/dev/null
export MLOPS_STORE=$PWD/.mlops
git init -q -b main repo
git -C repo config user.email b@example.com
git -C repo config user.name B
cat >repo/pipeline.yaml <<-\YAML
name: demo
steps:
  - {name: prepare, run: "echo prepared >data.txt", outputs: [data.txt]}
  - {name: train, needs: [prepare], run: "cat data.txt >model.txt",
     inputs: [data.txt], outputs: [model.txt]}
  - {name: check, needs: [prepare], run: "echo checked"}
  - {name: report, needs: [train, check], run: "echo reported"}
YAML
git -C repo add . && git -C repo commit -q -m demo
run=$(mlops-pipeline run -f repo/pipeline.yaml 2>/dev/null)
echo cat >worker.sh
echo '{"auc": 0.91, "rmse": 0.3}' >metrics.json
mlops-registry register churn --artifact worker.sh --framework exec \
	--entry "sh worker.sh" --metrics metrics.json --status Approved >/dev/null
mlops-registry card create churn/1 >/dev/null
mlops-deploy create ep-web --model churn/1 >/dev/null
printf "age,plan\n1,a\n2,b\n3,a\n" >train.csv
mlops-monitor baseline --data train.csv -o base >/dev/null
mlops-monitor schedule create hourly --endpoint ep-web --baseline base >/dev/null

sqlite3 .mlops/mlops.db <<-SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO pipeline_run SELECT printf('%s-%04d', id, i), pipeline, status,
	executor, spec_path, spec_hash, spec_dir, overrides, params, git_commit,
	git_repo, jobs, use_cache, NULL, user, created_us + i, ended_us + i,
	failure_reason FROM pipeline_run, n WHERE id = '$run';
INSERT INTO pipeline_step SELECT r.id, s.name, s.position, s.status,
	s.cache_key, s.cache_source, s.attempts, s.exit_code, s.job_id,
	s.properties, s.failure_reason, s.started_us, s.ended_us, s.inputs,
	s.outputs FROM pipeline_step s, pipeline_run r
	WHERE s.run_id = '$run' AND r.id <> '$run';
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO registry_version SELECT grp, i, CASE i % 3 WHEN 0 THEN 'Approved'
	ELSE 'PendingManualApproval' END, framework, entry,
	json_set(metrics, '$.auc', 0.5 + i / 2500.0), params, meta, lineage,
	origin, description, created_by, created_us + i
	FROM registry_version, n WHERE grp = 'churn' AND version = 1;
INSERT INTO registry_artifact SELECT v.grp, v.version, a.seq, a.name, a.hash,
	a.size FROM registry_artifact a, registry_version v
	WHERE a.grp = 'churn' AND a.version = 1 AND v.version > 1;
INSERT INTO registry_status_change (grp, version, previous, status, user,
	time_us) SELECT grp, version, NULL, status, created_by, created_us
	FROM registry_version WHERE version > 1;
UPDATE registry_group SET next_version = 1001 WHERE name = 'churn';
SQL
test "$(mlops-pipeline list --json | wc -l)" = 1000 || exit 1
test "$(mlops-registry list --json churn | wc -l)" = 1000 || exit 1

timeout 600 mlops web --listen 127.0.0.1:0 2>web.log &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for i in $(seq 1 400); do
	url=$(sed -n 's/.* on \(http:.*\)$/\1/p' web.log)
	test -n "$url" && break
	sleep 0.05
done
# median PATH: the median time_total of 9 fetches, in milliseconds.
median() {
	for i in 1 2 3 4 5 6 7 8 9; do
		curl -sf -o /dev/null -w '%{time_total}\n' "$url/$1" || exit 1
	done | sort -n | sed -n 5p | awk '{ printf "%.1f", $1 * 1000 }'
}
# cpu PATH: the server's CPU time (user + system) per fetch over 20
# fetches, in milliseconds: what the page costs, whatever else the
# machine runs.
hz=$(getconf CLK_TCK)
srv=$(ps -o pid= --ppid $pid | tr -d ' ')
ticks() { awk '{ print $14 + $15 }' /proc/$srv/stat; }
cpu() {
	t0=$(ticks)
	for i in $(seq 1 20); do
		curl -sf -o /dev/null "$url/$1" || exit 1
	done
	echo "$t0 $(ticks)" | awk -v hz=$hz '{ printf "%.1f", ($2 - $1) * 1000 / hz / 20 }'
}
echo "load: $(cat /proc/loadavg)"
printf "%-34s %8s %8s %8s %6s\n" "page (1,000 runs, 1,000 versions)" \
	"HTML ms" "JSON ms" "CPU ms" "KB"
for p in index.html features.html pipelines.html \
	"runs/$run.html" registry.html registry/churn.html \
	registry/churn/1000.html endpoints.html endpoints/ep-web.html \
	monitoring.html; do
	kb=$(curl -sf "$url/$p" | wc -c | awk '{ printf "%.0f", $1 / 1024 }')
	html=$(median "$p") cpu_ms=$(cpu "$p")
	printf "%-34s %8s %8s %8s %6s\n" "$p" "$html" \
		"$(median "$p?format=json")" "$cpu_ms" "$kb"
	echo "$html $cpu_ms $p" >>pages.t
done
set -- $(sort -g pages.t | tail -n 1)
report_row web "slowest page ($3), HTML" "$1" - - ms "$(tree_hwm $srv)"
set -- $(sort -g -k2,2 pages.t | tail -n 1)
report_row web "most CPU per fetch ($3)" "$2" - - "CPU ms"
echo "load: $(cat /proc/loadavg)"
kill $pid
wait $pid 2>/dev/null
