#!/bin/bash
# t3001-registry-basic.sh - model groups and versions: register, show,
# list, latest, get, approval with its history and events, aliases and
# the GROUP/N, GROUP@ALIAS, GROUP references.
. "$(dirname "$0")/test-lib.sh"

# A model file and a metrics file in the current directory.
make_model() {
	printf '{"learner":"%s"}\n' "${1:-a}" >model.json &&
	printf '{"auc": %s, "logloss": 0.3}\n' "${2:-0.9}" >metrics.json
}

test_expect_success 'register prints GROUP/N, numbering 1, 2, 3 per group' '
	make_model &&
	test "$(mlops-registry register -a model.json churn)" = churn/1 &&
	test "$(mlops-registry register -a model.json churn)" = churn/2 &&
	test "$(mlops-registry register -a model.json fraud)" = fraud/1 &&
	test "$(mlops-registry register -a model.json churn)" = churn/3
'

test_expect_success 'show --json keeps artifacts, metrics, params, meta' '
	make_model x 0.91 &&
	mlops-registry register -a model.json --metrics metrics.json \
		--param eta=0.1 --param depth=4 --meta team=growth \
		--description "first try" churn &&
	mlops-registry show --json churn/1 >out &&
	test "$(jq -r .status out)" = PendingManualApproval &&
	test "$(jq -r .framework out)" = xgboost &&
	test "$(jq -r .metrics.auc out)" = 0.91 &&
	test "$(jq -r .params.depth out)" = 4 &&
	test "$(jq -r .meta.team out)" = growth &&
	test "$(jq -r .description out)" = "first try" &&
	test "$(jq -r .created_by out)" = tester@example.com &&
	test "$(jq -r ".artifacts[0].name" out)" = model.json &&
	test "$(jq -r ".artifacts[0].hash" out)" = \
		"$(sha256sum model.json | cut -d" " -f1)" &&
	test "$(jq -r ".artifacts[0].size" out)" = "$(stat -c %s model.json)"
'

test_expect_success 'artifacts are blobs owned by the version, shared when equal' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry register -a model.json churn &&
	h=$(sha256sum model.json | cut -d" " -f1) &&
	test "$(mlops object ls | grep -c "$h")" = 1 &&
	sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT owner FROM object_ref WHERE hash = '\''$h'\'' ORDER BY owner" >refs &&
	printf "registry:churn/1\nregistry:churn/2\n" >expect &&
	test_cmp expect refs &&
	mlops fsck
'

test_expect_success 'get writes the artifacts, verified, to -o DIR' '
	make_model &&
	echo weights >weights.bin &&
	mlops-registry register -a model.json -a weights.bin churn &&
	mlops-registry get -o out churn/1 >paths &&
	test_cmp model.json out/model.json &&
	test_cmp weights.bin out/weights.bin &&
	test_line_count = 2 paths
'

test_expect_success 'list shows groups with counts, latest and approved' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry register -a model.json churn &&
	mlops-registry approve churn/1 &&
	mlops-registry list >out &&
	grep "^churn	2	2	1	" out &&
	mlops-registry list --json >json &&
	test "$(jq -r .latest_approved json)" = 1 &&
	mlops-registry list churn --status Approved >versions &&
	test_line_count = 2 versions &&
	grep "^churn/1	Approved" versions
'

test_expect_success 'create, describe; registering makes a group, --no-create does not' '
	mlops-registry create --description "churn models" --tag team=growth churn &&
	mlops-registry describe --json churn >out &&
	test "$(jq -r .description out)" = "churn models" &&
	test "$(jq -r .tags.team out)" = growth &&
	test_expect_code 4 mlops-registry create churn 2>err &&
	grep "model group .churn. already exists" err &&
	make_model &&
	test_snapshot &&
	test_expect_code 4 mlops-registry register --no-create -a model.json fraud 2>err &&
	grep "no-create: model group .fraud. not found" err &&
	test_store_unchanged
'

test_expect_success 'latest prints the newest, or the newest with a status' '
	make_model &&
	for i in 1 2 3; do mlops-registry register -a model.json churn || return 1; done &&
	mlops-registry approve churn/2 &&
	test "$(mlops-registry latest churn)" = churn/3 &&
	test "$(mlops-registry latest --status Approved churn)" = churn/2 &&
	test_expect_code 4 mlops-registry latest --status Rejected churn 2>err &&
	grep "no Rejected versions" err
'

test_expect_success 'approve and reject keep the history with who and why' '
	make_model &&
	mlops-registry register -a model.json churn &&
	MLOPS_USER=alice mlops-registry approve --note "auc is fine" churn/1 >out &&
	grep "churn/1: PendingManualApproval -> Approved" out &&
	MLOPS_USER=bob mlops-registry reject --note "bias found" churn/1 &&
	test_expect_code 1 mlops-registry status --json churn/1 >status &&
	test "$(jq -r .status status)" = Rejected &&
	test "$(jq -r ".history | length" status)" = 3 &&
	test "$(jq -r ".history[1].user" status)" = alice &&
	test "$(jq -r ".history[1].note" status)" = "auc is fine" &&
	test "$(jq -r ".history[2].previous" status)" = Approved &&
	test "$(jq -r ".history[2].user" status)" = bob
'

test_expect_success 'status exits 0 when Approved, 1 otherwise' '
	make_model &&
	mlops-registry register -a model.json churn &&
	test_expect_code 1 mlops-registry status churn/1 >out &&
	echo PendingManualApproval >expect &&
	test_cmp expect out &&
	mlops-registry approve churn/1 &&
	mlops-registry status churn/1
'

test_expect_success 'every status change emits a Model Package State Change event' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry approve --note ok churn/1 &&
	mlops event log --json --source mlops.registry >events &&
	test_line_count = 2 events &&
	tail -n 1 events >last &&
	test "$(jq -r ".[\"detail-type\"]" last)" = "Model Package State Change" &&
	test "$(jq -r .detail.group last)" = churn &&
	test "$(jq -r .detail.version last)" = 1 &&
	test "$(jq -r .detail.previousStatus last)" = PendingManualApproval &&
	test "$(jq -r .detail.status last)" = Approved &&
	test "$(jq -r .detail.note last)" = ok &&
	test "$(jq -r ".resources[0]" last)" = model-package/churn/1 &&
	head -n 1 events >first &&
	test "$(jq -r .detail.previousStatus first)" = null &&
	test "$(jq -r .detail.status first)" = PendingManualApproval
'

test_expect_success 'approving twice changes nothing the second time' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry approve churn/1 &&
	test_snapshot &&
	mlops-registry approve churn/1 >out &&
	grep "already Approved" out &&
	test_store_unchanged
'

test_expect_success 'register --status Approved starts approved' '
	make_model &&
	mlops-registry register --status Approved -a model.json churn &&
	mlops-registry status churn/1 &&
	test_expect_code 2 mlops-registry register --status Rejected -a model.json churn
'

test_expect_success 'aliases: set, move, rm, list; GROUP@ALIAS resolves' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry register -a model.json churn &&
	mlops-registry alias set churn champion 1 &&
	test "$(mlops-registry show --json churn@champion | jq .version)" = 1 &&
	mlops-registry alias set churn champion 2 &&
	test "$(mlops-registry show --json churn@champion | jq .version)" = 2 &&
	mlops-registry alias set churn staging &&
	mlops-registry alias list --json churn >list &&
	test_line_count = 2 list &&
	mlops-registry approve churn@staging &&
	mlops-registry status churn/2 &&
	mlops-registry alias rm churn champion &&
	test_expect_code 4 mlops-registry show churn@champion 2>err &&
	grep "alias .champion. is not set in model group .churn." err &&
	test_expect_code 4 mlops-registry alias rm churn champion &&
	test_expect_code 4 mlops-registry alias set churn x 9 2>err &&
	grep "model version churn/9 not found" err
'

test_expect_success 'GROUP alone means its latest version' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry register -a model.json churn &&
	test "$(mlops-registry show --json churn | jq .version)" = 2
'

test_expect_success 'references: malformed is exit 2, missing is exit 4 naming it' '
	make_model &&
	mlops-registry register -a model.json churn &&
	test_expect_code 2 mlops-registry show "churn/x" 2>err &&
	grep "not a model version reference" err &&
	test_expect_code 2 mlops-registry show "churn/0" &&
	test_expect_code 2 mlops-registry show "-bad/1" &&
	test_expect_code 2 mlops-registry show "churn@" &&
	test_expect_code 4 mlops-registry show churn/7 2>err &&
	grep "model version churn/7 not found" err &&
	test_expect_code 4 mlops-registry show fraud/1 2>err &&
	grep "model group .fraud. not found" err &&
	test_expect_code 4 mlops-registry approve churn/7 2>err &&
	grep "model version churn/7 not found" err
'

test_expect_success 'bad input: precise message, exit status, nothing changed' '
	make_model &&
	mlops-registry register -a model.json churn &&
	test_snapshot &&
	test_expect_code 4 mlops-registry register -a missing.bin churn 2>err &&
	grep "artifact .missing.bin.: No such file" err &&
	echo "[1, 2]" >list.json &&
	test_expect_code 3 mlops-registry register -a model.json --metrics list.json churn 2>err &&
	grep "list.json: metrics must be a JSON object of numbers" err &&
	echo "{\"auc\": \"high\"}" >str.json &&
	test_expect_code 3 mlops-registry register -a model.json --metrics str.json churn 2>err &&
	grep "str.json: metric .auc. is not a number" err &&
	echo "{\"auc\": " >broken.json &&
	test_expect_code 3 mlops-registry register -a model.json --metrics broken.json churn 2>err &&
	grep "broken.json:" err &&
	test_expect_code 2 mlops-registry register -a model.json --param eta churn 2>err &&
	grep "expected KEY=VALUE" err &&
	test_expect_code 2 mlops-registry register -a model.json --framework torch churn 2>err &&
	grep "unknown framework .torch." err &&
	test_expect_code 2 mlops-registry register -a model.json --framework exec churn 2>err &&
	grep "needs --entry" err &&
	mkdir sub &&
	test_expect_code 2 mlops-registry register -a model.json -a ./sub/../model.json churn 2>err &&
	grep "two artifacts are named .model.json." err &&
	test_expect_code 2 mlops-registry register churn &&
	test_expect_code 2 mlops-registry register -a model.json "bad_name" &&
	test_expect_code 4 mlops-registry approve churn/2 &&
	test_store_unchanged
'

test_expect_success 'text that is not UTF-8 is refused, not silently dropped' '
	make_model &&
	mlops-registry register -a model.json churn &&
	test_snapshot &&
	bad=$(printf "caf\351") &&
	test_expect_code 2 mlops-registry register -a model.json \
		--param "eta=$bad" churn 2>err &&
	grep "^mlops-registry: --param .eta=.*: not valid UTF-8" err &&
	test_expect_code 2 mlops-registry register -a model.json \
		--meta "$bad=1" churn 2>err &&
	grep "^mlops-registry: --meta .*: not valid UTF-8" err &&
	test_expect_code 2 mlops-registry register -a model.json \
		--description "$bad" churn 2>err &&
	grep "^mlops-registry: --description: the text is not valid UTF-8" err &&
	test_expect_code 2 mlops-registry create --tag "a=$bad" other 2>err &&
	grep "^mlops-registry: --tag .a=.*: not valid UTF-8" err &&
	test_expect_code 2 mlops-registry approve -m "$bad" churn/1 2>err &&
	grep "^mlops-registry: --note: the text is not valid UTF-8" err &&
	test_store_unchanged
'

test_expect_success 'versions are immutable in the database itself' '
	make_model &&
	mlops-registry register -a model.json churn &&
	test_must_fail sqlite3 "$MLOPS_STORE/mlops.db" \
		"UPDATE registry_version SET metrics = '\''{}'\''" 2>err &&
	grep "immutable" err &&
	test_must_fail sqlite3 "$MLOPS_STORE/mlops.db" \
		"DELETE FROM registry_artifact" 2>err &&
	grep "never deleted" err
'

test_expect_success 'every mutating command appends one audit record' '
	make_model &&
	mlops-registry register -a model.json churn &&
	mlops-registry approve churn/1 &&
	mlops-registry alias set churn champion 1 &&
	mlops audit log >log &&
	grep "registry.register	churn/1" log &&
	grep "registry.approve	churn/1" log &&
	grep "registry.alias.set	churn@champion" log &&
	mlops audit verify
'

test_expect_success '--help on every verb: its usage, exit 0, nothing done' '
	test_snapshot &&
	for verb in create describe list register show get lineage diff \
		latest approve reject status alias export import; do
		mlops-registry $verb --help >out 2>err &&
		grep "^usage: mlops-registry $verb" out &&
		! test -s err || return 1
	done &&
	for verb in create set show status history export; do
		mlops-registry card $verb -h >out 2>err &&
		grep "^usage: mlops-registry card $verb" out &&
		! test -s err || return 1
	done &&
	test_store_unchanged
'

test_expect_success 'mlops registry runs mlops-registry' '
	make_model &&
	test "$(mlops registry register -a model.json churn)" = churn/1
'

test_done
