#!/bin/bash
# t2003-pipeline-spec.sh - pipeline.yaml: validation with file:line:column,
# parameters and their types, conditions, properties, templates, graph.
. "$(dirname "$0")/test-lib.sh"

# expect_invalid 'MESSAGE' [ARGS...]: validate and run both exit 3 with
# MESSAGE, and the run changes nothing in the store.
expect_invalid() {
	msg=$1
	shift
	test_expect_code 3 mlops-pipeline validate "$@" 2>err &&
	grep -- "$msg" err &&
	test_snapshot &&
	test_expect_code 3 mlops-pipeline run "$@" >out 2>err &&
	grep -- "$msg" err &&
	test ! -s out &&
	test_store_unchanged &&
	test -z "$(ls "$MLOPS_STORE/runs")"
}

test_expect_success 'validate accepts the example and says what it holds' '
	cat >pipeline.yaml <<-\EOF
	name: ok
	parameters:
	  n: {type: int, default: 3}
	steps:
	  - {name: a, run: echo a}
	  - {name: b, run: echo b, needs: [a]}
	EOF
	mlops-pipeline validate >out &&
	grep "pipeline .ok. is valid: 2 steps, 1 parameter" out
'

test_expect_success 'an unknown key is named with its line and column' '
	printf "name: p\nsteps:\n  - name: a\n    run: echo\n    nedds: [b]\n" >pipeline.yaml &&
	expect_invalid "pipeline.yaml:5:5: unknown key .nedds."
'

test_expect_success 'a cycle is refused and shown' '
	cat >pipeline.yaml <<-\EOF
	name: p
	steps:
	  - {name: a, run: echo, needs: [c]}
	  - {name: b, run: echo, needs: [a]}
	  - {name: c, run: echo, needs: [b]}
	EOF
	expect_invalid "pipeline.yaml:3:.*the steps form a cycle: a -> c -> b -> a"
'

test_expect_success 'an unknown need is named at its position' '
	printf "name: p\nsteps:\n  - name: a\n    run: echo\n    needs: [prep]\n" >pipeline.yaml &&
	expect_invalid "pipeline.yaml:5:13: step .a. needs .prep., which is not a step"
'

test_expect_success 'an input outside the workspace is refused, not "missing"' '
	echo data >raw.csv &&
	printf "name: p\nsteps:\n  - name: a\n    run: cat $PWD/raw.csv\n    inputs: [$PWD/raw.csv]\n" >pipeline.yaml &&
	expect_invalid "pipeline.yaml:3:5: step .a.: .$PWD/raw.csv. is not a path inside the workspace" &&
	printf "name: p\nsteps:\n  - name: a\n    run: \"true\"\n    inputs: [../../mlops.db]\n" >pipeline.yaml &&
	expect_invalid "step .a.: .\.\./\.\./mlops.db. is not a path inside the workspace"
'

test_expect_success 'an undefined parameter in a command is refused' '
	printf "name: p\nsteps:\n  - name: a\n    run: echo \${rounds}\n" >pipeline.yaml &&
	expect_invalid "pipeline.yaml:4:10: undefined parameter .rounds."
'

test_expect_success 'type errors: a default, a -p value (exit 2), a duration' '
	printf "name: p\nparameters:\n  n: {type: int, default: many}\nsteps:\n  - {name: a, run: echo}\n" >pipeline.yaml &&
	expect_invalid "pipeline.yaml:3:27: .*the default of .n. (int)" &&
	printf "name: p\nparameters:\n  n: {type: int, default: 1}\nsteps:\n  - {name: a, run: echo}\n" >pipeline.yaml &&
	test_expect_code 2 mlops-pipeline run -p n=1.5 2>err &&
	grep -- "-p n (int)" err &&
	test_expect_code 2 mlops-pipeline run -p m=1 2>err &&
	grep "has no parameter .m." err &&
	printf "name: p\nsteps:\n  - {name: a, run: echo, timeout: soon}\n" >pipeline.yaml &&
	expect_invalid "pipeline.yaml:3:.*timeout: \"soon\" is not a duration"
'

test_expect_success 'a condition with a syntax error or a type error is refused' '
	cat >pipeline.yaml <<-\EOF
	name: p
	parameters: {limit: 3, tag: x}
	steps:
	  - name: a
	    run: echo
	    when: ${limit} >= ${tag}
	EOF
	expect_invalid "pipeline.yaml:6:11: condition: column .*: cannot compare a number with a string" &&
	sed -i "s/when: .*/when: \${limit} >=/" pipeline.yaml &&
	expect_invalid "condition: column .*: the condition ends too soon" &&
	sed -i "s/when: .*/when: limit > 2/" pipeline.yaml &&
	expect_invalid "unexpected .limit. (write a parameter as \${name}"
'

test_expect_success 'a property of a step that is not needed is refused' '
	cat >pipeline.yaml <<-\EOF
	name: p
	steps:
	  - {name: e, run: echo, properties: e.json}
	  - {name: r, run: echo, when: "${steps.e.properties.auc} > 1"}
	EOF
	expect_invalid "step .r. does not need .e."
'

test_expect_success 'a missing input file is refused before anything runs' '
	printf "name: p\nsteps:\n  - {name: a, run: echo, inputs: [data/raw.csv]}\n" >pipeline.yaml &&
	test_snapshot &&
	test_expect_code 3 mlops-pipeline run 2>err &&
	grep "input .data/raw.csv. of step .a. does not exist" err &&
	test_store_unchanged
'

write_cond() {
	cat >pipeline.yaml <<-\EOF
	name: cond
	parameters:
	  min_auc: {type: float, default: 0.8}
	  stage: {type: string, default: dev}
	  force: {type: bool, default: false}
	steps:
	  - name: evaluate
	    run: |
	      echo "{\"auc\": $AUC, \"tags\": {\"kind\": \"xgb\"}}" >eval.json
	    env: {AUC: "0.9"}
	    properties: eval.json
	    outputs: [eval.json]
	  - name: register
	    needs: [evaluate]
	    when: (${steps.evaluate.properties.auc} >= ${min_auc} and ${stage} in ["dev", "prod"]) or ${force}
	    run: echo registered
	  - name: deploy
	    needs: [register]
	    run: echo deployed
	  - name: report
	    needs: [evaluate]
	    when: not ${steps.evaluate.properties.tags.kind} != 'xgb'
	    run: echo report
	EOF
}

test_expect_success 'a true condition runs the step; a false one skips it and its dependents' '
	write_cond &&
	id=$(mlops-pipeline run 2>/dev/null) &&
	mlops-pipeline show --json $id |
		jq -e "([.steps[].status] | unique) == [\"Succeeded\"]" &&
	id=$(mlops-pipeline run -p min_auc=0.95 2>err) &&
	grep "register: skipped (condition is false" err &&
	mlops-pipeline show --json $id >show.json &&
	jq -e ".status == \"Succeeded\" and
		([.steps[] | select(.name == \"register\" or .name == \"deploy\") | .status] | unique) == [\"Skipped\"] and
		(.steps[] | select(.name == \"report\") | .status == \"Succeeded\")" show.json &&
	id=$(mlops-pipeline run -p min_auc=0.95 -p force=true 2>/dev/null) &&
	mlops-pipeline show --json $id | jq -e "(.steps[] | select(.name == \"deploy\") | .status) == \"Succeeded\"" &&
	id=$(mlops-pipeline run -p stage=test 2>/dev/null) &&
	mlops-pipeline show --json $id | jq -e "(.steps[] | select(.name == \"register\") | .status) == \"Skipped\""
'

test_expect_success 'a condition on a missing property fails the step, naming it' '
	write_cond &&
	sed -i "s/properties.auc}/properties.auc2}/" pipeline.yaml &&
	test_expect_code 1 mlops-pipeline run >id 2>err &&
	grep "register: failed: condition (pipeline.yaml:15:11): step .evaluate. has no property .auc2. in eval.json" err &&
	mlops-pipeline show --json "$(cat id)" | jq -e ".status == \"Failed\""
'

test_expect_success 'a property file that is not JSON fails the step' '
	write_cond &&
	sed -i "s/echo \"{/echo \"{{/" pipeline.yaml &&
	test_expect_code 1 mlops-pipeline run >id 2>err &&
	grep "evaluate: failed: properties of step .evaluate. are not JSON: .*eval.json:1:" err &&
	mlops-pipeline show --json "$(cat id)" >show.json &&
	jq -e "(.steps[] | select(.name == \"evaluate\") | .status) == \"Failed\"" show.json
'

test_expect_success 'properties may be substituted into later commands' '
	cat >pipeline.yaml <<-\EOF
	name: props
	steps:
	  - name: e
	    run: "echo {\\\"n\\\": 42, \\\"name\\\": \\\"m1\\\"} >e.json"
	    properties: e.json
	  - name: use
	    needs: [e]
	    run: echo "n=${steps.e.properties.n} name=${steps.e.properties.name} $${HOME}"
	EOF
	id=$(mlops-pipeline run 2>/dev/null) &&
	mlops-pipeline logs $id use >log &&
	grep "^n=42 name=m1 $HOME$" log
'

test_expect_success 'templates: shipped steps with parameters; fields can be overridden' '
	$PYTHON -c "
import random
random.seed(7)
rows = []
for i in range(300):
    x = random.random()
    rows.append(\"%d,%.4f,%.4f\" % (int(x + 0.2 * random.random() > 0.6), x, random.random()))
open(\"train.csv\", \"w\").write(\"label,x,z\n\" + \"\n\".join(rows[:200]) + \"\n\")
open(\"test.csv\", \"w\").write(\"label,x,z\n\" + \"\n\".join(rows[200:]) + \"\n\")
" &&
	mkdir bin &&
	printf "#!/bin/sh\necho \"\$@\" >registered.txt\necho \$MLOPS_STEP_INPUTS >>registered.txt\n" >bin/mlops-registry &&
	chmod +x bin/mlops-registry &&
	cat >pipeline.yaml <<-EOF
	name: tpl
	parameters:
	  rounds: {type: int, default: 10}
	  min_auc: {type: float, default: 0.7}
	steps:
	  - name: train
	    template: train-xgboost
	    with: {rounds: "\${rounds}", python: $PYTHON}
	  - name: evaluate
	    needs: [train]
	    template: evaluate-binary-classifier
	    with: {python: $PYTHON}
	  - name: register
	    needs: [evaluate]
	    template: register-model
	    with: {group: churn}
	    when: \${steps.evaluate.properties.auc} >= \${min_auc}
	    env: {PATH: "$PWD/bin:/usr/bin:/bin"}
	EOF
	id=$(mlops-pipeline run 2>err) &&
	ws=$MLOPS_STORE/runs/$id &&
	$PYTHON -c "import xgboost; b = xgboost.Booster(); b.load_model(\"$ws/model.json\")" &&
	jq -e ".auc > 0.7 and .rows == 100" "$ws/evaluation.json" &&
	grep "^register --artifact model.json --metrics evaluation.json --framework xgboost churn$" "$ws/registered.txt" &&
	grep "\"model.json\":\"$(sha256sum "$ws/model.json" | cut -d" " -f1)\"" "$ws/registered.txt" &&
	mlops-pipeline run -p min_auc=0.999 2>err &&
	grep "train: cache hit" err &&
	grep "register: skipped" err
'

test_expect_success 'a template parameter without a value, an unknown template' '
	cat >pipeline.yaml <<-\EOF
	name: tpl
	steps:
	  - name: register
	    template: register-model
	EOF
	expect_invalid "template .register-model. needs a value for .group." &&
	sed -i "s/register-model/no-such-template/" pipeline.yaml &&
	expect_invalid "pipeline.yaml:4:15: no template .no-such-template."
'

test_expect_success 'a local template file, relative to the pipeline' '
	mkdir -p templates &&
	cat >templates/greet.yaml <<-\EOF
	template: greet
	parameters: {who: {type: string}}
	step:
	  run: echo hello ${who} >greeting.txt
	  outputs: [greeting.txt]
	EOF
	cat >pipeline.yaml <<-\EOF
	name: local
	steps:
	  - {name: g, template: greet, with: {who: world}}
	EOF
	id=$(mlops-pipeline run 2>/dev/null) &&
	grep "^hello world$" "$MLOPS_STORE/runs/$id/greeting.txt"
'

test_expect_success 'graph prints DOT; --run colors by status' '
	write_cond &&
	mlops-pipeline graph >g.dot &&
	grep "^digraph \"cond\" {" g.dot &&
	grep "\"evaluate\" -> \"register\";" g.dot &&
	id=$(mlops-pipeline run -p min_auc=0.95 2>/dev/null) &&
	mlops-pipeline graph --run $id >run.dot &&
	grep "\"register\" .*Skipped\", fillcolor=\"lightgray\"" run.dot &&
	grep "\"evaluate\" .*Succeeded\", fillcolor=\"palegreen\"" run.dot &&
	if command -v dot >/dev/null; then dot -Tsvg run.dot >run.svg && grep -q "<svg" run.svg; fi
'

# A 1 MB scalar named by 3,000 aliases: 3 GB once expanded.
write_alias_bomb() {
	$PYTHON - >bomb.yaml <<-\PY
	print("name: bomb")
	print("d: &a \"%s\"" % ("x" * 1000000))
	print("b: [%s]" % ", ".join(["*a"] * 3000))
	PY
}

test_expect_success 'a large scalar named by many aliases is refused at once' '
	write_alias_bomb &&
	test_expect_code 3 mlops-pipeline validate -f bomb.yaml 2>err &&
	grep "bomb.yaml:2:4: the values expand to more than 4194304 bytes" err &&
	test_expect_code 3 mlops-feature create bomb.yaml 2>err &&
	grep "expand to more than" err &&
	echo m >m.bin &&
	mlops-registry register --framework exec --entry cat --artifact m.bin m &&
	test_expect_code 3 mlops-registry card create --from bomb.yaml m/1 2>err &&
	grep "expand to more than" err
'

test_done
