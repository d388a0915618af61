#!/usr/bin/python3
"""worker.py - the scikit-learn churn model as an exec runtime worker
(mlops-deploy(1), RUNTIMES): one CSV row per line on stdin, its churn
probability per line on stdout; a bad row answers "ERROR: why" on
one line."""
import sys
import churn_model

model = churn_model.load()
for line in sys.stdin:
    try:
        out = churn_model.score(model, [churn_model.parse(line)])[0]
    except ValueError as e:
        # one line whatever the message: the next line answers the next row
        out = "ERROR: %s" % " ".join(str(e).split())
    print(out, flush=True)
