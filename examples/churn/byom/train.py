#!/usr/bin/python3
"""train.py TRAIN MODEL - a scikit-learn churn model: LogisticRegression
(features standardised) on split.py's label-first CSV (churned, tenure,
support_calls, monthly_spend), pickled to MODEL."""
import csv, pickle, sys
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

src, out = sys.argv[1:3]
with open(src) as f:
    r = csv.reader(f)
    next(r)
    rows = [[float(v) for v in row] for row in r if row]
y = [int(row[0]) for row in rows]
X = [row[1:] for row in rows]
model = make_pipeline(StandardScaler(), LogisticRegression())
model.fit(X, y)
with open(out, "wb") as f:
    pickle.dump(model, f)
print("trained on %d rows, accuracy %.3f" % (len(y), model.score(X, y)))
