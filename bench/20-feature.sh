# 20-feature.sh - the feature store: ingest throughput, online get
# latency (library and CLI) and a point-in-time join side by side with
# pandas merge_asof and DuckDB's ASOF JOIN on the same files: wall time,
# CPU seconds and peak RSS from /usr/bin/time (medians of BENCH_RUNS
# runs, taken in turns), the three outputs checked row for row, ratios.
# DuckDB is @duckdb/node-api, installed with npm into BENCH_CACHE (the
# package ships DuckDB's binary; the package "duckdb" downloads one at
# install time, which fails offline); without npm it is left out.
#
# Sizes (defaults are the issue's figures; set smaller ones to try it):
#   BENCH_INGEST_ROWS   rows x 10 features ingested (1000000)
#   BENCH_ENTITIES      entity rows of the join (1000000)
#   BENCH_FEATURE_ROWS  feature rows of the join (5000000)
#   BENCH_GET_SAMPLES   library gets timed (100000); CLI gets: 1/100 of it
#   BENCH_RUNS          runs of each join, medians reported (3)
#   BENCH_CACHE         where npm installs DuckDB ($HOME/.cache/mlops-bench)
#   BENCH_SKIP_INGEST   set: skip the ingest and online get part
set -e
ingest_rows=${BENCH_INGEST_ROWS:-1000000}
entities=${BENCH_ENTITIES:-1000000}
feature_rows=${BENCH_FEATURE_ROWS:-5000000}
samples=${BENCH_GET_SAMPLES:-100000}
runs=${BENCH_RUNS:-3}
cache=${BENCH_CACHE:-$HOME/.cache/mlops-bench}
bin=$(dirname "$(command -v mlops-feature)")
src=$(cd "$BENCH_DIR/.." && pwd)
ids=$((ingest_rows / 2 > 0 ? ingest_rows / 2 : 1))

# measure OUT CMD...: run CMD with /usr/bin/time; OUT gets a line
# "wall-seconds cpu-seconds peak-KB" appended.
measure() {
	out=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$out.1" "$@"
	awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$out.1" >>"$out"
}

# median FILE: the median of each column of FILE.
median() {
	sort -n "$1" | awk '{ w[NR] = $1 } END { printf "%s ", w[int((NR + 1) / 2)] }'
	sort -k2,2n "$1" | awk '{ c[NR] = $2 } END { printf "%s ", c[int((NR + 1) / 2)] }'
	sort -k3,3n "$1" | awk '{ m[NR] = $3 } END { print m[int((NR + 1) / 2)] }'
}

mlops init >/dev/null
if [ -z "$BENCH_SKIP_INGEST" ]; then
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
read -r ingest_s ingest_cpu ingest_kb <ingest.time

cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/lib" -o feature-get \
	"$BENCH_DIR/feature-get.c" "$bin/../lib/libmlops.a" \
	$(pkg-config --libs libgit2 yaml-0.1 sqlite3 zlib jansson libcrypto) \
	-lpthread -lm
read -r lib_p50 lib_p99 lib_mean < <(./feature-get lib .mlops wide c "$ids" \
	"$samples")
read -r cli_p50 cli_p99 cli_mean < <(./feature-get cli .mlops wide c "$ids" \
	$((samples / 100 > 10 ? samples / 100 : 10)))

echo "ingest: $ingest_rows rows x 10 features (ids: $ids)"
awk -v s="$ingest_s" -v c="$ingest_cpu" -v kb="$ingest_kb" \
    -v n="$ingest_rows" 'BEGIN {
	printf "  %.2f s (%.2f CPU s), %.0f rows/s, peak RSS %.0f MB\n",
	       s, c, n / s, kb / 1024 }'
echo "online get, single key, over $ids entities:"
printf "  %-22s %10s %10s %10s\n" "" "p50 us" "p99 us" "mean us"
printf "  %-22s %10s %10s %10s\n" "library (feature_online_get)" "$lib_p50" "$lib_p99" "$lib_mean"
printf "  %-22s %10s %10s %10s\n" "CLI (one process)" "$cli_p50" "$cli_p99" "$cli_mean"
fi

# The join: entity rows and feature rows over half as many IDs as
# entity rows, a 30-day window, TTL 7 days; the string feature s holds
# commas and quotes now and then. No two feature rows share an ID and a
# time (ties are the one place where engines may pick differently, and
# t1003 checks ours against pandas).
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
	for (i = 0; i < n; i++) {
		id = int(rand() * ids)
		t = 1767225600 + int(rand() * 2592000)
		if ((id, t) in seen) { i--; continue }
		seen[id, t] = 1
		s = i % 17 == 0 ? "\"k" i % 5 ", \"\"q\"\"\"" : "k" i % 17
		printf "u%d,%d,%.4f,%d,%s\n", id, t, rand(), i % 1000, s
	}
}' >features.csv
awk -v n="$entities" -v ids="$nid" 'BEGIN {
	srand(3); print "id,t,label"
	for (i = 0; i < n; i++)
		printf "u%d,%d,%d\n", int(rand() * ids),
		       1767225600 + int(rand() * 2592000), i % 2
}' >entities.csv
mlops-feature ingest pit features.csv >/dev/null
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
out["n"] = out["n"].astype("Int64")
out.sort_values("_row").drop(columns="_row").to_csv(sys.argv[1],
                                                    index=False)
PY
duck=
if command -v npm >/dev/null && command -v node >/dev/null; then
	mkdir -p "$cache"
	if [ -d "$cache/node_modules/@duckdb/node-api" ] ||
	   npm install --silent --no-audit --no-fund --prefix "$cache" \
		@duckdb/node-api >npm.log 2>&1; then
		duck=$cache/node_modules/@duckdb/node-api
	else
		echo "(DuckDB left out: npm install @duckdb/node-api failed)"
	fi
fi
cat >asof.js <<'JS'
const { DuckDBInstance } = require(process.env.DUCK);
(async () => {
	const db = await DuckDBInstance.create(":memory:");
	const con = await db.connect();
	await con.run(`COPY (
	  SELECT e.id, e.t, e.label,
	         CASE WHEN e.t - f.t <= 7 * 86400 THEN f.x END AS pit__x,
	         CASE WHEN e.t - f.t <= 7 * 86400 THEN f.n END AS pit__n,
	         CASE WHEN e.t - f.t <= 7 * 86400 THEN f.s END AS pit__s
	  FROM (SELECT *, row_number() OVER () AS _row
	        FROM read_csv('entities.csv')) e
	  ASOF LEFT JOIN read_csv('features.csv') f
	    ON e.id = f.id AND e.t >= f.t
	  ORDER BY e._row) TO '${process.argv[2]}' (HEADER)`);
})().catch((e) => { console.error(e); process.exit(1); });
JS
# same A B: the two outputs agree row for row (numbers compared as
# numbers: pandas writes 0.123 for 0.1230, DuckDB 5.0 for 5).
cat >same.py <<'PY'
import csv, sys
def norm(v):
    try:
        return float(v)
    except ValueError:
        return v
with open(sys.argv[1], newline="") as a, open(sys.argv[2], newline="") as b:
    ra, rb = csv.reader(a), csv.reader(b)
    next(ra), next(rb)
    n = 0
    for x, y in zip(ra, rb):
        n += 1
        if len(x) != len(y) or any(p != q and norm(p) != norm(q)
                                   for p, q in zip(x, y)):
            sys.exit("%s and %s differ at row %d: %s / %s" %
                     (sys.argv[1], sys.argv[2], n, x, y))
    if next(ra, None) is not None or next(rb, None) is not None:
        sys.exit("%s and %s differ in length" % (sys.argv[1], sys.argv[2]))
PY
echo "load before: $(cat /proc/loadavg)"
for r in $(seq "$runs"); do
	measure mlops.time mlops-feature dataset --entities entities.csv \
		--features pit:x,n,s -o mlops-out.csv
	measure pandas.time "$PYTHON" asof.py pandas-out.csv
	[ -z "$duck" ] || DUCK=$duck measure duck.time node asof.js duck-out.csv
done
echo "load after:  $(cat /proc/loadavg)"
"$PYTHON" same.py mlops-out.csv pandas-out.csv
[ -z "$duck" ] || "$PYTHON" same.py mlops-out.csv duck-out.csv
hits=$(awk -F, 'NR > 1 && $4 != "" { n++ } END { print n + 0 }' mlops-out.csv)
read -r m_s m_c m_kb < <(median mlops.time)
read -r p_s p_c p_kb < <(median pandas.time)
echo "point-in-time join: $entities entity rows x $feature_rows feature rows," \
	"$hits matched; outputs agree row for row (medians of $runs runs)"
printf "  %-24s %9s %9s %12s\n" "" "wall s" "CPU s" "peak RSS MB"
row() {
	awk -v n="$1" -v s="$2" -v c="$3" -v kb="$4" 'BEGIN {
		printf "  %-24s %9.2f %9.2f %12.0f\n", n, s, c, kb / 1024 }'
}
ratio() {
	awk -v n="$1" -v ms="$m_s" -v mc="$m_c" -v mk="$m_kb" -v s="$2" \
	    -v c="$3" -v k="$4" 'BEGIN {
		printf "  %s / mlops: wall %.2fx, CPU %.2fx, memory %.2fx\n",
		       n, s / ms, c / mc, k / mk }'
}
row "mlops-feature dataset" "$m_s" "$m_c" "$m_kb"
row "pandas merge_asof" "$p_s" "$p_c" "$p_kb"
if [ -n "$duck" ]; then
	read -r d_s d_c d_kb < <(median duck.time)
	row "DuckDB ASOF JOIN" "$d_s" "$d_c" "$d_kb"
fi
ratio pandas "$p_s" "$p_c" "$p_kb"
[ -z "$duck" ] || ratio DuckDB "$d_s" "$d_c" "$d_kb"
