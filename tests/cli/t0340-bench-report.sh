#!/bin/bash
# t0340-bench-report.sh - `make bench`'s report machinery: bench/run in the
# quick mode gathers the scripts' headline rows (report_row) into one
# summary table on stdout and in a Markdown RESULTS.md with the machine
# and the load; the speed-up reads a time and a rate the right way round;
# a missing peer shows "-"; a script that fails is reported as failed,
# the others still run, and the run exits 1. The figures themselves are
# not checked: they are measurements.
. "$(dirname "$0")/test-lib.sh"

BENCH=$TEST_ROOT/bench

test_expect_success 'quick run of 10-store.sh writes the table and RESULTS.md' '
	BENCH_QUICK=1 BENCH_STORE_MB=1 BENCH_RESULTS=$PWD/RESULTS.md \
		"$BENCH/run" "$MLOPS_BIN" 10-store.sh >out 2>err &&
	grep "^=== summary (QUICK mode, load average " out &&
	grep "^section  *what  *mlops  *peer  *peer value  *unit  *speed-up" out &&
	grep "^store  *object put, 1 MB  *[0-9.]*  *sha256sum + gzip -1 " out &&
	grep "^# mlops benchmark results" RESULTS.md &&
	grep "^\*\*QUICK mode\*\*" RESULTS.md &&
	grep "^- machine: $(uname -s) .* CPUs; .* GiB memory; Debian " RESULTS.md &&
	grep "^- load average (1, 5, 15 min): [0-9.]* [0-9.]* [0-9.]* before" RESULTS.md &&
	grep "^| section | what | mlops | peer | peer value | unit | speed-up | mlops MiB | peer MiB |$" RESULTS.md &&
	grep "^| store | object put, 1 MB | [0-9.]* | sha256sum + gzip -1 | [0-9.]* | s | [0-9.]*x | [0-9]* | [0-9]* |$" RESULTS.md &&
	grep "^### 10-store.sh" RESULTS.md &&
	grep "^mlops object put  " RESULTS.md
'

test_expect_success 'speed-up, RSS and "-" as report_row gives them; a failure is reported' '
	cat >01-rows.sh <<-\EOF &&
	. "$BENCH_DIR/lib-report.sh"
	report_row demo "a time" 2 "slow peer" 5 s 1024 3072
	report_row demo "a rate" 30 "peer" 10 req/s
	report_row demo "no peer" 7 - - ms
	report_row demo "a | b" 1 "c | d" 1 s
	echo "quick=$(quick small big)"
	EOF
	printf "echo partial\nexit 3\n" >02-fails.sh &&
	test_expect_code 1 env BENCH_QUICK=1 BENCH_RESULTS=$PWD/R.md \
		"$BENCH/run" "$MLOPS_BIN" ./02-fails.sh ./01-rows.sh >out 2>err &&
	grep "^| demo | a time | 2 | slow peer | 5 | s | 2.50x | 1 | 3 |$" R.md &&
	grep "^| demo | a rate | 30 | peer | 10 | req/s | 3.00x | - | - |$" R.md &&
	grep "^| demo | no peer | 7 | - | - | ms | - | - | - |$" R.md &&
	grep "^| demo | a \\\\| b | 1 | c \\\\| d | 1 | s | 1.00x | - | - |$" R.md &&
	grep "^| 02-fails | FAILED (exit 3), see its output |" R.md &&
	grep "^exit 3, " R.md && grep "^partial$" R.md &&
	grep "^quick=small$" R.md &&
	grep "=== 02-fails.sh FAILED (exit 3)" out &&
	grep "1 script(s) failed" err
'

test_done
