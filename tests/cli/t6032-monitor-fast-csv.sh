#!/bin/bash
# t6032-monitor-fast-csv.sh - a regular file of plain CSV is read by
# the fast path, anything else by the general reader (a pipe always):
# on every kind of input both give the same files, exit status and
# message (a pipe's messages say <stdin> where a file's give its name).
. "$(dirname "$0")/test-lib.sh"

# same_both FILE [OPTION...]: baseline of FILE read as a file (fast path
# when it is plain) and through a pipe (general reader) agree.
same_both() {
	f=$1
	shift
	st1=0 && st2=0 &&
	mlops-monitor baseline "$@" --data "$f" -o fast 2>err1 || st1=$?
	cat "$f" | mlops-monitor baseline "$@" --data - -o slow 2>err2 ||
		st2=$?
	echo "$f: exit $st1 and $st2" &&
	test "$st1" = "$st2" &&
	sed "s/<stdin>/$f/" err2 >err2.named &&
	test_cmp err2.named err1 &&
	if test "$st1" = 0
	then
		test_cmp slow/statistics.json fast/statistics.json &&
		test_cmp slow/constraints.json fast/constraints.json
	fi &&
	rm -rf fast slow
}

# gen N: N rows of numbers and text, past several blocks of rows.
gen() {
	awk -v n="$1" 'BEGIN {
		srand(5)
		print "a,b,c"
		for (r = 0; r < n; r++)
			printf "%d,%.3f,t%d\n", int(rand() * 500), rand() * 9,
			       int(rand() * 2000)
	}'
}

test_expect_success 'plain CSV, with and without header, BOM, no last LF' '
	gen 20000 >plain.csv &&
	same_both plain.csv &&
	same_both plain.csv --no-header &&
	printf "\357\273\277" | cat - plain.csv >bom.csv &&
	same_both bom.csv &&
	same_both bom.csv --no-header &&
	printf "x,y\n1,2\n3,4" >nolf.csv &&
	same_both nolf.csv &&
	printf "x,y" >hdronly.csv &&
	same_both hdronly.csv &&
	: >empty.csv &&
	same_both empty.csv &&
	printf "x\n\n1\n\n\n2\n" >blank.csv &&
	same_both blank.csv
'

test_expect_success 'quotes, CRLF and NUL late in the file' '
	gen 20000 | awk "NR == 15000 { \$0 = \"1,2,\\\"q,uoted\\\"\" } 1" \
		>quoted.csv &&
	grep -c "q,uoted" quoted.csv &&
	same_both quoted.csv &&
	gen 9000 | sed "s/\$/\r/" >crlf.csv &&
	same_both crlf.csv &&
	printf "\"a\",b\n1,2\n" >qhead.csv &&
	same_both qhead.csv &&
	gen 100 | tr "\n" "\0" >nul.csv &&
	same_both nul.csv
'

test_expect_success 'bad rows and values give the same messages' '
	gen 9000 | awk "NR == 7000 { \$0 = \"1,2\" } 1" >short.csv &&
	same_both short.csv &&
	grep "short.csv:7000: expected 3 fields, found 2" err1 &&
	gen 9000 | awk "NR == 6000 { \$0 = \"1,2,\\377\" } 1" >utf.csv &&
	same_both utf.csv &&
	grep "utf.csv:6000: column .c.: value is not UTF-8" err1 &&
	printf "a,a\n1,2\n" >dup.csv &&
	same_both dup.csv
'

test_expect_success 'a line longer than a read goes to the general reader' '
	{
		echo a,b &&
		for i in 0 1 2
		do
			printf "%d," $i &&
			head -c 1200000 /dev/zero | tr "\0" x &&
			echo || return 1
		done
	} >long.csv &&
	same_both long.csv
'

test_expect_success 'standard input from a file is named <stdin>' '
	gen 10 | awk "NR == 5 { \$0 = \"1,2\" } 1" >s.csv &&
	test_expect_code 3 mlops-monitor baseline --data - -o out <s.csv \
		2>err &&
	grep "<stdin>:5: expected 3 fields, found 2" err
'

test_done
