# 20-feature.sh - the feature store: ingest throughput, online get
# latency (library and CLI) and a point-in-time join next to pandas
# merge_asof (time and peak RSS from /usr/bin/time, with ratios).
#
# Sizes (defaults are the issue's figures; set smaller ones to try it):
#   BENCH_INGEST_ROWS   rows x 10 features ingested (1000000)
#   BENCH_ENTITIES      entity rows of the join (1000000)
#   BENCH_FEATURE_ROWS  feature rows of the join (5000000)
#   BENCH_GET_SAMPLES   library gets timed (100000); CLI gets: 1/100 of it
set -e
ingest_rows=${BENCH_INGEST_ROWS:-1000000}
entities=${BENCH_ENTITIES:-1000000}
feature_rows=${BENCH_FEATURE_ROWS:-5000000}
samples=${BENCH_GET_SAMPLES:-100000}
bin=$(dirname "$(command -v mlops-feature)")
src=$(cd "$BENCH_DIR/.." && pwd)
ids=$((ingest_rows / 2 > 0 ? ingest_rows / 2 : 1))

# measure OUT CMD...: run CMD with /usr/bin/time; OUT gets "seconds KB".
measure() {
	out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@"
}

mlops init >/dev/null
cat >wide.yaml <<YAML
name: wide
record_identifier: id
event_time: t
features:
  - {name: id, type: string}
  - {name: t, type: integral}
  - {name: a, type: integral}
  - {name: b, type: fractional}
  - {name: c, type: string}
  - {name: d, type: integral}
  - {name: e, type: fractional}
  - {name: f, type: string}
  - {name: g, type: integral}
  - {name: h, type: fractional}
YAML
mlops-feature create wide.yaml >/dev/null
awk -v n="$ingest_rows" -v ids="$ids" 'BEGIN {
	srand(1); print "id,t,a,b,c,d,e,f,g,h"
	for (i = 0; i < n; i++)
		printf "c%d,%d,%d,%.4f,plan%d,%d,%.3f,s%d,%d,%.2f\n",
		       i % ids, 1767225600 + int(rand() * 2592000), i % 97,
		       rand() * 1000, i % 5, i % 1000, rand(), i % 13, i,
		       rand() * 10
}' >ingest.csv
measure ingest.time mlops-feature ingest wide ingest.csv >/dev/null
read -r ingest_s ingest_kb <ingest.time

cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/lib" -o feature-get \
	"$BENCH_DIR/feature-get.c" "$bin/../lib/libmlops.a" \
	$(pkg-config --libs libgit2 yaml-0.1 sqlite3 zlib jansson libcrypto) \
	-lpthread -lm
read -r lib_p50 lib_p99 lib_mean < <(./feature-get lib .mlops wide c "$ids" \
	"$samples")
read -r cli_p50 cli_p99 cli_mean < <(./feature-get cli .mlops wide c "$ids" \
	$((samples / 100 > 10 ? samples / 100 : 10)))

echo "ingest: $ingest_rows rows x 10 features (ids: $ids)"
awk -v s="$ingest_s" -v kb="$ingest_kb" -v n="$ingest_rows" 'BEGIN {
	printf "  %.2f s, %.0f rows/s, peak RSS %.0f MB\n", s, n / s, kb / 1024 }'
echo "online get, single key, over $ids entities:"
printf "  %-22s %10s %10s %10s\n" "" "p50 us" "p99 us" "mean us"
printf "  %-22s %10s %10s %10s\n" "library (feature_online_get)" "$lib_p50" "$lib_p99" "$lib_mean"
printf "  %-22s %10s %10s %10s\n" "CLI (one process)" "$cli_p50" "$cli_p99" "$cli_mean"

# The join: entity rows and feature rows over half as many IDs as
# entity rows, a 30-day window, TTL 7 days.
nid=$((entities / 2 > 0 ? entities / 2 : 1))
cat >pit.yaml <<YAML
name: pit
record_identifier: id
event_time: t
features:
  - {name: id, type: string}
  - {name: t, type: integral}
  - {name: x, type: fractional}
  - {name: n, type: integral}
  - {name: s, type: string}
ttl: 7d
YAML
mlops-feature create pit.yaml >/dev/null
awk -v n="$feature_rows" -v ids="$nid" 'BEGIN {
	srand(2); print "id,t,x,n,s"
	for (i = 0; i < n; i++)
		printf "u%d,%d,%.4f,%d,k%d\n", int(rand() * ids),
		       1767225600 + int(rand() * 2592000), rand(), i % 1000, i % 17
}' >features.csv
awk -v n="$entities" -v ids="$nid" 'BEGIN {
	srand(3); print "id,t,label"
	for (i = 0; i < n; i++)
		printf "u%d,%d,%d\n", int(rand() * ids),
		       1767225600 + int(rand() * 2592000), i % 2
}' >entities.csv
mlops-feature ingest pit features.csv >/dev/null
measure mlops.time mlops-feature dataset --entities entities.csv \
	--features pit:x,n,s -o mlops-out.csv
cat >asof.py <<'PY'
import sys
import pandas as pd
f = pd.read_csv("features.csv")
e = pd.read_csv("entities.csv")
e["_row"] = range(len(e))
f = f.sort_values("t", kind="mergesort")
e = e.sort_values("t", kind="mergesort")
out = pd.merge_asof(e, f, on="t", by="id", direction="backward",
                    allow_exact_matches=True, tolerance=7 * 86400)
out.sort_values("_row").drop(columns="_row").to_csv(sys.argv[1],
                                                    index=False)
PY
measure pandas.time "$PYTHON" asof.py pandas-out.csv
read -r m_s m_kb <mlops.time
read -r p_s p_kb <pandas.time
m_rows=$(($(wc -l <mlops-out.csv) - 1))
p_rows=$(($(wc -l <pandas-out.csv) - 1))
m_hit=$(awk -F, 'NR > 1 && $4 != "" { n++ } END { print n + 0 }' mlops-out.csv)
p_hit=$(awk -F, 'NR > 1 && $4 != "" { n++ } END { print n + 0 }' pandas-out.csv)

echo "point-in-time join: $entities entity rows x $feature_rows feature rows"
printf "  %-28s %9s %12s %10s %10s\n" "" "seconds" "peak RSS MB" "rows" "matched"
awk -v s="$m_s" -v kb="$m_kb" -v r="$m_rows" -v h="$m_hit" 'BEGIN {
	printf "  %-28s %9.2f %12.0f %10d %10d\n", "mlops-feature dataset", s, kb / 1024, r, h }'
awk -v s="$p_s" -v kb="$p_kb" -v r="$p_rows" -v h="$p_hit" 'BEGIN {
	printf "  %-28s %9.2f %12.0f %10d %10d\n", "pandas merge_asof", s, kb / 1024, r, h }'
awk -v ms="$m_s" -v mk="$m_kb" -v ps="$p_s" -v pk="$p_kb" 'BEGIN {
	printf "  ratio time mlops / pandas: %.2f; memory mlops / pandas: %.2f\n",
	       ms / ps, mk / pk }'
