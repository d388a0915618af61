# 2-features.sh - raw customer events and churn outcomes ingested into feature groups, a point-in-time dataset
export MLOPS_STORE=$ML
run $PYTHON "$REPO/generate.py" events raw --customers $CUSTOMERS
as $DS mlops-feature ingest customers raw/customers.csv
as $DS mlops-feature ingest churn_labels raw/labels.csv
as $DS mlops-feature get customers c0000
as $DS mlops-feature dataset --entities raw/labels.csv \
	--features customers:tenure,support_calls,monthly_spend >dataset.csv
head -n 3 dataset.csv
# each label row gets the features as they were at its time: c0000's
# first two labels see different support_calls than its latest record
rows=$(($(wc -l <raw/labels.csv)))
[ "$(wc -l <dataset.csv)" -eq "$rows" ] || fail "dataset rows differ from label rows"
first=$(sed -n 2p dataset.csv | cut -d, -f4-)
want=$(grep '^c0000,' raw/customers.csv | head -n 1 | cut -d, -f3-)
[ "$first" = "$want" ] || fail "point-in-time join: $first, expected $want"
latest=$(MLOPS_USER=$DS mlops-feature get customers c0000 | tail -n 1)
echo "(c0000 at its first label: $first; its record today: $latest)"
unset MLOPS_STORE
