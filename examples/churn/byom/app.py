#!/usr/bin/python3
"""app.py PORT-OPTIONS - the scikit-learn churn model as a Flask app
following SageMaker's inference container contract, for the http runtime
(mlops-deploy(1), RUNTIMES): GET /ping answers 200 once the model is
loaded; POST /invocations takes text/csv rows (or application/json
{"instances": [[...], ...]}) and answers one probability per line.
The gateway appends --port N (and sets PORT)."""
import os, sys
from flask import Flask, request
import churn_model

model = churn_model.load()
app = Flask(__name__)

@app.route("/ping")
def ping():
    return "", 200

@app.route("/invocations", methods=["POST"])
def invocations():
    try:
        if request.mimetype == "application/json":
            rows = [[float(x) for x in r] for r in request.get_json()["instances"]]
        else:
            rows = [churn_model.parse(l) for l in
                    request.get_data(as_text=True).splitlines() if l.strip()]
        if not rows:
            raise ValueError("no rows")
        out = churn_model.score(model, rows)
    except (ValueError, TypeError, KeyError) as e:
        return "bad request: %s\n" % e, 400, {"Content-Type": "text/plain"}
    return "\n".join(out) + "\n", 200, {"Content-Type": "text/csv"}

if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv \
        else int(os.environ.get("PORT", "8080"))
    app.run(host="127.0.0.1", port=port)
