# lib-report.sh - what bench/run and every bench/NN-*.sh share (sourced):
# the quick mode's sizes, the headline rows of the summary, timing with
# peak RSS, and peers that may be missing.

# quick Q F: F, or Q in the quick mode (make bench QUICK=1, which bench/run
# passes on as BENCH_QUICK=1).
quick() {
	case ${BENCH_QUICK:-0} in
	0 | "") echo "$2" ;;
	*) echo "$1" ;;
	esac
}

# report_row SECTION WHAT VALUE PEER PEER_VALUE UNIT [RSS_KB [PEER_RSS_KB]]
# One headline figure of this script for bench/run's summary table and
# bench/RESULTS.md, appended as a tab-separated line to $BENCH_REPORT (a
# script run by hand, without it, just prints its own table). PEER and
# PEER_VALUE are "-" when no peer ran here; the unit says which way is
# better: one ending in "/s" is a rate (more is better), any other a cost
# (less is better). RSS values are peak resident sizes in KiB, "-" when
# not measured.
report_row() {
	[ -n "$BENCH_REPORT" ] || return 0
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:--}" \
		"${4:--}" "${5:--}" "$6" "${7:--}" "${8:--}" >>"$BENCH_REPORT"
}

# timed OUT CMD...: run CMD under /usr/bin/time; OUT gets the line
# "wall-seconds cpu-seconds peak-KiB" appended. CMD's status is returned.
timed() {
	local out=$1 rc=0
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$out.1" "$@" || rc=$?
	tail -n 1 "$out.1" |
		awk '{ printf "%.3f %.2f %d\n", $1, $2 + $3, $4 }' >>"$out"
	return $rc
}

# median_of [FILE]: the median of the numbers of FILE (or standard input),
# one a line (the mean of the middle two of an even count).
median_of() {
	sort -g "$@" | awk '{ v[NR] = $1 } END {
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median_cols FILE: the median of each of the three columns of FILE
# (lines written by timed), taken column by column.
median_cols() {
	local k
	for k in 1 2 3; do
		sort -g -k$k,$k "$1" | awk -v k=$k '{ v[NR] = $k }
			END { printf "%s%s", v[int((NR + 1) / 2)], k < 3 ? " " : "\n" }'
	done
}

# tree_hwm PID...: the peak resident size (VmHWM, KiB) of each PID and of
# all their descendants, summed: the memory a server of several
# processes took at its peak (pages the processes share are counted
# once per process). Read it before the server exits.
tree_hwm() {
	local p all=" $* " more=1 kids
	while [ -n "$more" ]; do
		more=
		for p in $all; do
			for kids in $(cat /proc/$p/task/*/children 2>/dev/null); do
				case $all in
				*" $kids "*) ;;
				*) all="$all$kids " more=1 ;;
				esac
			done
		done
	done
	for p in $all; do
		awk '/^VmHWM:/ { print $2 }' /proc/$p/status 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

# have_peer NAME TEST...: run TEST; if it fails, say that NAME is left out
# (the summary shows "-" for it) and return 1.
have_peer() {
	local name=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	echo "($name left out: not installed here)"
	return 1
}

# py_has MODULE...: /usr/bin/python3 can import every MODULE.
py_has() {
	local m
	for m in "$@"; do
		"${PYTHON:-/usr/bin/python3}" -c "import $m" || return 1
	done
}

# duckdb_dir: where @duckdb/node-api is installed (the bench's cache
# BENCH_CACHE, else the one the tests install into), or nothing.
duckdb_dir() {
	local c d
	for c in "${BENCH_CACHE:-$HOME/.cache/mlops-bench}" \
		 "${XDG_CACHE_HOME:-$HOME/.cache}/mlops-tests/duckdb"; do
		d=$c/node_modules/@duckdb/node-api
		[ -f "$d/package.json" ] && { echo "$d"; return 0; }
	done
	return 0
}
