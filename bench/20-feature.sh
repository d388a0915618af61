# 20-feature.sh - the feature store: ingest throughput, online get
# latency (library and CLI) next to plain SQLite holding the same rows
# (sqlite3 .import of the same CSV into a typed history table and a
# latest-row-per-ID table; lookups as a prepared SELECT and as one sqlite3
# process per key), and a point-in-time join side by side with
# pandas merge_asof and DuckDB's ASOF JOIN on the same files: wall time,
# CPU seconds and peak RSS from /usr/bin/time (medians of BENCH_RUNS
# runs, taken in turns), the three outputs checked row for row, ratios.
# DuckDB is @duckdb/node-api, installed with npm into BENCH_CACHE (the
# package ships DuckDB's binary; the package "duckdb" downloads one at
# install time, which fails offline); without npm it is left out.
#
# Sizes (defaults are the issue's figures, the quick mode's in brackets):
#   BENCH_INGEST_ROWS   rows x 10 features ingested (1000000 [100000])
#   BENCH_ENTITIES      entity rows of the join (1000000 [100000])
#   BENCH_FEATURE_ROWS  feature rows of the join (5000000 [500000])
#   BENCH_GET_SAMPLES   library gets timed (100000 [10000]); CLI gets:
#                       1/100 of it
#   BENCH_RUNS          runs of each join, medians reported (3 [1])
#   BENCH_CACHE         where npm installs DuckDB ($HOME/.cache/mlops-bench)
#   BENCH_SKIP_INGEST   set: skip the ingest and online get part
set -e
. "$BENCH_DIR/lib-report.sh"
ingest_rows=${BENCH_INGEST_ROWS:-$(quick 100000 1000000)}
entities=${BENCH_ENTITIES:-$(quick 100000 1000000)}
feature_rows=${BENCH_FEATURE_ROWS:-$(quick 500000 5000000)}
samples=${BENCH_GET_SAMPLES:-$(quick 10000 100000)}
runs=${BENCH_RUNS:-$(quick 1 3)}
cache=${BENCH_CACHE:-$HOME/.cache/mlops-bench}
bin=$(dirname "$(command -v mlops-feature)")
src=$(cd "$BENCH_DIR/.." && pwd)
ids=$((ingest_rows / 2 > 0 ? ingest_rows / 2 : 1))

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
timed ingest.time mlops-feature ingest wide ingest.csv >/dev/null
read -r ingest_s ingest_cpu ingest_kb <ingest.time
# The peer: plain SQLite, the same rows typed in a history table and the
# latest row of each ID in a keyed table (max() picks the row's other
# columns in SQLite).
cat >peer.sql <<SQL
CREATE TABLE history (id TEXT, t INTEGER, a INTEGER, b REAL, c TEXT,
	d INTEGER, e REAL, f TEXT, g INTEGER, h REAL);
.import --csv --skip 1 ingest.csv history
CREATE TABLE wide (id TEXT PRIMARY KEY, t INTEGER, a INTEGER, b REAL,
	c TEXT, d INTEGER, e REAL, f TEXT, g INTEGER, h REAL) WITHOUT ROWID;
INSERT INTO wide SELECT id, max(t), a, b, c, d, e, f, g, h FROM history
	GROUP BY id;
SQL
timed peer-ingest.time sqlite3 peer.db <peer.sql
read -r peer_s peer_cpu peer_kb <peer-ingest.time

cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/lib" -o feature-get \
	"$BENCH_DIR/feature-get.c" "$bin/../lib/libmlops.a" \
	$(pkg-config --libs libgit2 yaml-0.1 sqlite3 zlib jansson libcrypto) \
	-lpthread -lm
read -r lib_p50 lib_p99 lib_mean < <(./feature-get lib .mlops wide c "$ids" \
	"$samples")
cli_samples=$((samples / 100 > 10 ? samples / 100 : 10))
read -r cli_p50 cli_p99 cli_mean < <(./feature-get cli .mlops wide c "$ids" \
	$cli_samples)
read -r sql_p50 sql_p99 sql_mean < <(./feature-get sql peer.db wide c "$ids" \
	"$samples")
read -r sqlcli_p50 sqlcli_p99 sqlcli_mean < <(./feature-get sqlcli peer.db \
	wide c "$ids" $cli_samples)

echo "ingest: $ingest_rows rows x 10 features (ids: $ids)"
awk -v s="$ingest_s" -v c="$ingest_cpu" -v kb="$ingest_kb" \
    -v n="$ingest_rows" 'BEGIN {
	printf "  mlops-feature ingest   %.2f s (%.2f CPU s), %.0f rows/s, peak RSS %.0f MB\n",
	       s, c, n / s, kb / 1024 }'
awk -v s="$peer_s" -v c="$peer_cpu" -v kb="$peer_kb" \
    -v n="$ingest_rows" 'BEGIN {
	printf "  sqlite3 .import        %.2f s (%.2f CPU s), %.0f rows/s, peak RSS %.0f MB\n",
	       s, c, n / s, kb / 1024 }'
echo "online get, single key, over $ids entities:"
printf "  %-30s %10s %10s %10s\n" "" "p50 us" "p99 us" "mean us"
printf "  %-30s %10s %10s %10s\n" "library (feature_online_get)" "$lib_p50" "$lib_p99" "$lib_mean"
printf "  %-30s %10s %10s %10s\n" "SQLite prepared SELECT" "$sql_p50" "$sql_p99" "$sql_mean"
printf "  %-30s %10s %10s %10s\n" "CLI (one process per key)" "$cli_p50" "$cli_p99" "$cli_mean"
printf "  %-30s %10s %10s %10s\n" "sqlite3 CLI (one per key)" "$sqlcli_p50" "$sqlcli_p99" "$sqlcli_mean"
rate() { awk -v n="$ingest_rows" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
report_row ingest "$ingest_rows rows x 10 features" "$(rate "$ingest_s")" \
	"sqlite3 .import + latest per ID" "$(rate "$peer_s")" rows/s \
	"$ingest_kb" "$peer_kb"
report_row "online get" "p50, in-process (library)" "$lib_p50" \
	"SQLite prepared SELECT" "$sql_p50" us
report_row "online get" "p99, in-process (library)" "$lib_p99" \
	"SQLite prepared SELECT" "$sql_p99" us
report_row "online get" "p50, one CLI process per key" "$cli_p50" \
	"sqlite3 CLI per key" "$sqlcli_p50" us
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
duck=$(duckdb_dir)
if [ -z "$duck" ] && command -v npm >/dev/null && command -v node >/dev/null
then
	mkdir -p "$cache"
	if npm install --silent --no-audit --no-fund --prefix "$cache" \
		@duckdb/node-api >npm.log 2>&1; then
		duck=$cache/node_modules/@duckdb/node-api
	else
		echo "(DuckDB left out: npm install @duckdb/node-api failed)"
	fi
elif [ -z "$duck" ]; then
	echo "(DuckDB left out: no node and npm here)"
fi
pandas=
have_peer "pandas merge_asof" py_has pandas && pandas=1
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
	timed mlops.time mlops-feature dataset --entities entities.csv \
		--features pit:x,n,s -o mlops-out.csv
	[ -z "$pandas" ] || timed pandas.time "$PYTHON" asof.py pandas-out.csv
	[ -z "$duck" ] || DUCK=$duck timed duck.time node asof.js duck-out.csv
done
echo "load after:  $(cat /proc/loadavg)"
[ -z "$pandas" ] || "$PYTHON" same.py mlops-out.csv pandas-out.csv
[ -z "$duck" ] || "$PYTHON" same.py mlops-out.csv duck-out.csv
hits=$(awk -F, 'NR > 1 && $4 != "" { n++ } END { print n + 0 }' mlops-out.csv)
read -r m_s m_c m_kb < <(median_cols mlops.time)
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
p_s=- p_kb=- d_s=- d_kb=-
if [ -n "$pandas" ]; then
	read -r p_s p_c p_kb < <(median_cols pandas.time)
	row "pandas merge_asof" "$p_s" "$p_c" "$p_kb"
fi
if [ -n "$duck" ]; then
	read -r d_s d_c d_kb < <(median_cols duck.time)
	row "DuckDB ASOF JOIN" "$d_s" "$d_c" "$d_kb"
fi
[ -z "$pandas" ] || ratio pandas "$p_s" "$p_c" "$p_kb"
[ -z "$duck" ] || ratio DuckDB "$d_s" "$d_c" "$d_kb"
what="$entities x $feature_rows rows"
report_row "point-in-time" "dataset $what" "$m_s" "pandas merge_asof" "$p_s" \
	s "$m_kb" "$p_kb"
report_row "point-in-time" "dataset $what" "$m_s" "DuckDB ASOF JOIN" "$d_s" \
	s "$m_kb" "$d_kb"
