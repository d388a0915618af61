# 20-feature.sh - the feature store: a group, ingest, online get, delete, the offline lake, a point-in-time dataset
# Runs in the demo's directory and store, after 10-store.sh.
run() { echo "\$ $*"; "$@"; }

cat >customers.yaml <<'YAML'
name: customers
description: Customer activity features
record_identifier: customer_id
event_time: event_time
features:
  - {name: customer_id, type: string}
  - {name: event_time,  type: string}
  - {name: age,         type: integral}
  - {name: balance,     type: fractional}
  - {name: plan,        type: string}
YAML
cat >customers.csv <<'CSV'
customer_id,event_time,age,balance,plan
c1,2026-11-01T10:00:00Z,30,12.5,gold
c2,2026-11-01T11:30:00Z,40,,silver
c1,2026-11-02T10:00:00Z,31,13.5,platinum
CSV
cat >labels.csv <<'CSV'
customer_id,event_time,churned
c1,2026-11-01T09:00:00Z,0
c1,2026-11-01T12:00:00Z,0
c1,2026-11-05T00:00:00Z,1
c2,2026-11-02T00:00:00Z,0
c2,2026-11-04T00:00:00Z,1
CSV
printf 'customer_id,event_time,balance\nc3,2026-11-03T09:00:00Z,"12,5"\n' >bad.csv

run mlops-feature create customers.yaml
run mlops-feature ingest customers customers.csv
run mlops-feature get customers c1 c2
run mlops-feature get --json customers c1
echo "\$ mlops-feature ingest customers bad.csv"
mlops-feature ingest customers bad.csv || echo "(exit $?: nothing was ingested)"
run mlops-feature delete --event-time 2026-11-03T00:00:00Z customers c2
echo "\$ mlops-feature get customers c2"
mlops-feature get customers c2 || echo "(exit $?: deleted)"
run mlops-feature list
echo "\$ find .mlops/offline/customers -name '*.csv.gz'"
find .mlops/offline/customers -name '*.csv.gz' | sort
run mlops-feature export customers
run mlops-feature dataset --entities labels.csv \
	--features customers:age,balance,plan
run mlops-feature ddl customers
run mlops event log --source mlops.feature
