"""The baseline: a bare Flask hello world, served the same way as KPay."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
