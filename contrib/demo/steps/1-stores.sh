# 1-stores.sh - three stores (ml, staging, prod) from the example's stack, personas granted
# Sourced by contrib/demo/run.
for s in ml staging prod; do
	run mlops init --env $s $s
done
cp -r "$example" "$REPO"
cd "$REPO"
for s in ml staging prod; do
	as $ADMIN mlops --store ../$s apply -f stack.yaml --yes
done
# the rules act as the user who added them: the MLOps engineer's
as $ENG mlops --store ../staging apply -f ops.yaml --yes
for s in ml staging prod; do
	MLOPS_STORE=../$s mlops role list --json >roles.json
	for u in $ADMIN $DS $ENG; do
		grep -q "$u" roles.json || fail "$u has no persona in $s"
	done
done
rm roles.json
MLOPS_STORE=../staging mlops event rule list | grep -q '^staging[[:space:]]yes' ||
	fail "the staging store has no rule 'staging'"
run mlops --store ../ml remote list
cd "$work"
