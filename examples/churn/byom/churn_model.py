"""churn_model.py - what worker.py and app.py share: load the pickled
model from the model directory, score CSV rows (tenure, support_calls,
monthly_spend; no header) as churn probabilities."""
import os, pickle

def load():
    d = os.environ.get("MLOPS_MODEL_DIR", ".")
    with open(os.path.join(d, "model.pkl"), "rb") as f:
        return pickle.load(f)

def parse(line):
    """A CSV row as 3 floats, or ValueError saying what is wrong."""
    v = [float(x) for x in line.strip().split(",")]
    if len(v) != 3:
        raise ValueError("%d values, expected 3 (tenure, support_calls, "
                         "monthly_spend)" % len(v))
    return v

def score(model, rows):
    """Churn probabilities of rows (lists of 3 floats), as text."""
    return ["%.6f" % p for p in model.predict_proba(rows)[:, 1]]
