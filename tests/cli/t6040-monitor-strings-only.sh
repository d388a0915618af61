#!/bin/bash
# t6040-monitor-strings-only.sh - baseline and drift read a regular CSV
# file counting the values of String columns only (a pipe counts every
# column); a column that turns String after numbers makes the file be
# read again. Either way the output is that of counting every column.
. "$(dirname "$0")/test-lib.sh"

# gen N LATE: N rows; column d turns String at row LATE (0: never), e
# starts with text and goes on with numbers.
gen() {
	awk -v n="$1" -v late="$2" 'BEGIN {
		srand(9)
		print "a,b,c,d,e"
		for (r = 1; r <= n; r++)
			printf "%d,%.3f,t%d,%s,%s\n", int(rand() * 500),
			       rand() * 9, int(rand() * 40),
			       r == late ? "late" : int(rand() * 3),
			       r == 1 ? "first" : "2.5"
	}'
}

test_expect_success 'baseline: file and pipe agree, late String column or not' '
	for late in 0 3 19000
	do
		gen 20000 $late >d$late.csv &&
		for t in 1 2
		do
			mlops-monitor baseline --threads $t --data d$late.csv \
				-o file$t &&
			cat d$late.csv |
			mlops-monitor baseline --threads $t --data - -o pipe$t &&
			test_cmp pipe$t/statistics.json file$t/statistics.json &&
			test_cmp pipe$t/constraints.json \
				file$t/constraints.json || return 1
		done &&
		test_cmp file1/statistics.json file2/statistics.json || return 1
	done &&
	jq -e ".features[3].inferred_type == \"String\" and
	       .features[3].string_statistics.distinct_count == 4 and
	       .features[4].string_statistics.distinct_count == 2" \
		file1/statistics.json
'

test_expect_success 'drift: file and pipe agree for every method' '
	gen 20000 5 >ref.csv &&
	gen 15000 12000 >cur.csv &&
	for m in ks psi js chi2 wasserstein
	do
		mlops-monitor drift --method $m --reference ref.csv \
			--data cur.csv >file.$m &&
		cat cur.csv |
		mlops-monitor drift --method $m --reference ref.csv \
			--data - >pipe.$m &&
		test_cmp pipe.$m file.$m || return 1
	done &&
	grep "^d	chi2	" file.chi2 &&
	grep "^e	chi2	" file.chi2
'

test_done
