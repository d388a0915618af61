#!/bin/bash
# t2009-pipeline-descriptors.sh - a step inherits the descriptors the
# runner was given and none the runner opened itself.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'steps inherit no descriptor the runner opened' '
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
	mlops-pipeline run -j 2 >out 2>err &&
	$lister fds.shell >out 2>err &&
	test_cmp fds.shell fds.first &&
	test_cmp fds.shell fds.second &&
	test_cmp fds.shell fds.last
'
test_done
