#!/bin/bash
# t6031-monitor-threads.sh - baseline, check and drift give the same
# output for any --threads, report the first bad value in file order
# whichever thread meets it, and refuse a bad --threads.
. "$(dirname "$0")/test-lib.sh"

# gen N: N rows past several blocks of 4096, numbers, text and blanks.
gen() {
	awk -v n="$1" 'BEGIN {
		srand(3)
		print "i,f,s,e,late"
		for (r = 0; r < n; r++)
			printf "%d,%.4f,k%d,%s,%s\n", int(rand() * 1000),
			       rand() * 100, int(rand() * 3000),
			       r % 7 ? "1.5" : "", r == n - 100 ? "text" : r
	}'
}

test_expect_success 'baseline, check and drift are the same for any N' '
	gen 30000 >a.csv &&
	gen 20000 >b.csv &&
	for t in 1 2 3 8
	do
		mlops-monitor baseline --threads $t --data a.csv -o base$t &&
		{ mlops-monitor check --threads $t --baseline base1 \
			--data b.csv -o check$t >viol$t || test $? = 1; } &&
		mlops-monitor drift --threads $t --reference a.csv \
			--data b.csv >drift$t || return 1
	done &&
	for t in 2 3 8
	do
		test_cmp base1/statistics.json base$t/statistics.json &&
		test_cmp base1/constraints.json base$t/constraints.json &&
		test_cmp check1/constraint_violations.json \
			check$t/constraint_violations.json &&
		test_cmp drift1 drift$t || return 1
	done &&
	jq -e ".dataset.item_count == 30000" base2/statistics.json
'

test_expect_success 'the first bad value in file order is the one named' '
	gen 20000 | awk -F, -v OFS=, "
		NR == 5003 { \$3 = \"\\377b\" }
		NR == 5001 { \$5 = \"\\377e\" } { print }" >bad.csv &&
	for t in 1 2
	do
		test_expect_code 3 mlops-monitor baseline --threads $t \
			--data bad.csv -o out 2>err &&
		grep "bad.csv:5001: column .late.: value is not UTF-8" err ||
		return 1
	done
'

test_expect_success 'the first row of a CSV without a header counts' '
	printf "1,a\n2,b\n3,c\n" >nh.csv &&
	for t in 1 2
	do
		mlops-monitor baseline --threads $t --no-header --data nh.csv \
			-o out &&
		jq -e ".features[0].numerical_statistics |
			.common.num_present == 3 and .sum == 6 and .min == 1" \
			out/statistics.json &&
		jq -e ".features[1].string_statistics.distinct_count == 3" \
			out/statistics.json || return 1
	done
'

test_expect_success 'a bad --threads is a usage error' '
	gen 10 >a.csv &&
	test_expect_code 2 mlops-monitor baseline --threads 0 --data a.csv \
		2>err &&
	grep "threads" err &&
	test_expect_code 2 mlops-monitor check --threads x --baseline . \
		--data a.csv &&
	test_expect_code 2 mlops-monitor drift --threads -1 --reference a.csv \
		--data a.csv
'

test_done
