#!/usr/bin/python3
"""split.py DATASET TRAIN TEST - the point-in-time dataset (customer_id,
event_time, churned, customers__*) as label-first CSVs: rows of 4 out of
every 5 customers to train, the rest to test (deterministic)."""
import csv, sys
src, train, test = sys.argv[1:4]
with open(src) as f, open(train, "w") as tr, open(test, "w") as te:
    r = csv.reader(f)
    head = next(r)
    cols = [i for i, h in enumerate(head) if h.startswith("customers__")]
    line = "churned," + ",".join(head[i].split("__", 1)[1] for i in cols) + "\n"
    tr.write(line); te.write(line)
    for row in r:
        if any(row[i] == "" for i in cols):
            continue
        out = tr if int(row[0][1:]) % 5 else te
        out.write(",".join([row[2]] + [row[i] for i in cols]) + "\n")
