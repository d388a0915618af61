#!/usr/bin/python3
"""generate.py - deterministic customer data for the churn example.

  generate.py events DIR     customers.csv (feature events over time) and
                             labels.csv (churn outcomes at later times)
  generate.py requests FILE  feature rows to send to an endpoint (no header)

Options: --customers N (default 300), --seed S (default 19), --drift
(support_calls shifted up by about 4 calls: the drift the monitor sees;
for events, new customers, c5000 on, over the 90 days that follow: the
drifted traffic's outcomes, as they become known).
Each customer's features change over 90 days, and each label is taken at a
time between events, so only a point-in-time join gives the right values.
"""
import argparse, math, os, random

p = argparse.ArgumentParser()
p.add_argument("what", choices=["events", "requests"])
p.add_argument("out")
p.add_argument("--customers", type=int, default=300)
p.add_argument("--seed", type=int, default=19)
p.add_argument("--drift", action="store_true")
a = p.parse_args()
rng = random.Random(a.seed + (1000 if a.what == "requests" else 0))
shift = 4.0 if a.drift else 0.0

def stamp(day, minute):
    # months of 30 days from 2026-09-01
    month = 8 + day // 30
    return "%d-%02d-%02dT%02d:%02d:00Z" % (2026 + month // 12, 1 + month % 12,
                                           1 + day % 30, minute // 60,
                                           minute % 60)

def features(tenure):
    calls = max(0, int(rng.gauss(2.0 + shift, 1.5)))
    spend = round(max(5.0, rng.gauss(60.0, 20.0)), 2)
    return calls, spend

if a.what == "requests":
    with open(a.out, "w") as f:
        for _ in range(a.customers):
            tenure = rng.randint(1, 60)
            calls, spend = features(tenure)
            f.write("%d,%d,%.2f\n" % (tenure, calls, spend))
    raise SystemExit(0)

os.makedirs(a.out, exist_ok=True)
ev = open(os.path.join(a.out, "customers.csv"), "w")
lb = open(os.path.join(a.out, "labels.csv"), "w")
ev.write("customer_id,event_time,tenure,support_calls,monthly_spend\n")
lb.write("customer_id,event_time,churned\n")
first, start = (5000, 90) if a.drift else (0, 0)
for c in range(first, first + a.customers):
    cid = "c%04d" % c
    tenure = rng.randint(1, 48)
    day = start + rng.randint(0, 10)
    while day < start + 80:
        calls, spend = features(tenure)
        ev.write("%s,%s,%d,%d,%.2f\n" % (cid, stamp(day, rng.randint(0, 1439)),
                                         tenure, calls, spend))
        # the outcome a few days later depends on the state at that time
        later = day + rng.randint(1, 4)
        z = 0.9 * calls - 0.06 * tenure - 0.015 * spend - 0.8 + rng.gauss(0, 0.7)
        churned = 1 if z > 0 else 0
        lb.write("%s,%s,%d\n" % (cid, stamp(later, rng.randint(0, 1439)), churned))
        tenure += 1
        day += rng.randint(5, 30)
