"""The yardstick of bench/web.py: a bare Flask app with one JSON endpoint, nothing else.

Served by the same gunicorn settings as the app under test, it shows what a request costs when
the app itself costs nothing: gunicorn, WSGI, Flask's routing and jsonify.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/json")
def bare_json():
    """A small fixed JSON answer."""
    return jsonify(status="ok", items=[{"id": n, "name": f"Contact {n}"} for n in range(3)])
