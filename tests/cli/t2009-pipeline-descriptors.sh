#!/bin/bash
# t2009-pipeline-descriptors.sh - a step gets standard input, output and
# error only: neither what the runner opened (the store, the run's lock)
# nor what it was given.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'steps inherit no descriptor but 0, 1 and 2' '
	lister="$PYTHON $TEST_DIRECTORY/list-fds.py" &&
	cat >pipeline.yaml <<-EOF &&
	name: fds
	steps:
	  - name: first
	    run: $lister $PWD/fds.first
	    cache: false
	  - name: second
	    run: $lister $PWD/fds.second
	    cache: false
	  - name: last
	    needs: [first, second]
	    run: $lister $PWD/fds.last
	    cache: false
	EOF
	mlops-pipeline run -j 2 >out 2>err 7<pipeline.yaml &&
	test_cmp /dev/null fds.first &&
	test_cmp /dev/null fds.second &&
	test_cmp /dev/null fds.last
'
test_done
