# 80-sync.sh - `mlops sync` throughput between two stores on one disk:
# 200 MB of captured data (200 files) from production back to the ML
# store, and a feature group of 1M rows to another store, each synced
# RUNS times into a fresh receiver (median), next to cp -r + sha256sum
# doing the same copy and hashing; then the second sync, which copies
# nothing. The quick mode: 40 files, 100k rows, one run.
. "$BENCH_DIR/lib-report.sh"
RUNS=${RUNS:-$(quick 1 5)}
files=$(quick 40 200)
feature_rows=$(quick 100000 1000000)
mlops init --env prod prod >/dev/null
mlops init --env ml ml >/dev/null
$PYTHON - prod/.mlops/capture/churn/2026/01/01/00 "$files" <<'PY'
import json, os, sys
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
row = ",".join("%.6f" % (i / 7) for i in range(60)) + "\n"
for f in range(int(sys.argv[2])):
    with open(os.path.join(d, "%02d-%02d-000-%08x.churn-1.jsonl" % (f // 60, f % 60, f)), "w") as out:
        n = 0
        while n < 1000000:
            line = json.dumps({"captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": row * 4, "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5\n", "encoding": "CSV"}},
                "eventMetadata": {"eventId": "%d-%d" % (f, n), "inferenceTime": "2026-01-01T00:%02d:%02d.000Z" % (f // 60, f % 60), "variant": "churn/1"},
                "eventVersion": "0"}) + "\n"
            out.write(line); n += len(line)
PY
cat >g.yaml <<'YAML'
name: customers
record_identifier: id
event_time: t
features:
  - {name: id, type: string}
  - {name: t, type: integral}
  - {name: a, type: fractional}
  - {name: b, type: fractional}
  - {name: c, type: string}
YAML
$PYTHON -c '
import random, sys
random.seed(1)
print("id,t,a,b,c")
for i in range(int(sys.argv[1])):
    print("c%d,%d,%.4f,%.4f,s%d" % (i % 200000, 1700000000 + i, random.random(), random.random(), i % 97))
' "$feature_rows" >rows.csv
MLOPS_STORE=$PWD/ml/.mlops mlops-feature create g.yaml >/dev/null
MLOPS_STORE=$PWD/ml/.mlops mlops-feature ingest customers rows.csv >/dev/null

# secs CMD...: wall seconds of CMD.
secs() {
	t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

cap_mb=$(du -sm --apparent-size prod/.mlops/capture | cut -f1)
feat_mb=$(du -sm --apparent-size ml/.mlops/offline | cut -f1)
for i in $(seq 1 "$RUNS"); do
	rm -rf r && mlops init --env r r >/dev/null
	echo "$(cd r && secs mlops sync --from ../prod capture churn)" >>capr.t
	rm -rf ml2 && mlops init --env ml2 ml2 >/dev/null
	echo "$(cd ml && secs mlops sync --to ../ml2 features customers)" >>feat.t
	rm -rf peer && mkdir peer
	echo "$(secs sh -c 'cp -r prod/.mlops/capture peer/ && sync &&
		find peer -type f -exec sha256sum {} + >/dev/null')" >>peer.t
done
again=$(cd r && secs mlops sync --from ../prod capture churn)
(cd r && mlops sync --from ../prod capture churn | sed 's/ in .*//')
awk -v c="$(median_of <capr.t)" -v f="$(median_of <feat.t)" -v p="$(median_of <peer.t)" \
    -v cm="$cap_mb" -v fm="$feat_mb" -v a="$again" -v n="$RUNS" \
    -v files="$files" -v rows="$feature_rows" 'BEGIN {
	printf "%-44s %8s %8s\n", "median of " n " runs", "seconds", "MB/s"
	printf "%-44s %8.2f %8.0f\n", "sync capture (" cm " MB, " files " files)", c, cm / c
	printf "%-44s %8.2f %8.0f  (%.0f rows/s)\n", "sync features (" rows " rows, " fm " MB gzip)", f, fm / f, rows / f
	printf "%-44s %8.2f %8.0f\n", "cp -r + sync + sha256sum (capture)", p, cm / p
	printf "%-44s %8.2f\n", "second capture sync (0 copied)", a
	printf "ratio sync capture / (cp + sha256sum): %.2f\n", c / p
}'
report_row sync "capture, $cap_mb MB in $files files" "$(median_of <capr.t)" \
	"cp -r + sync + sha256sum" "$(median_of <peer.t)" s
report_row sync "features, $feature_rows rows" "$(median_of <feat.t)" - - s
