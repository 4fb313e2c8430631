# Parity sample for bench/run.py: each construct here should be found by contracts and by the
# Semgrep rules of bench/semgrep-rules.yaml alike (same rule family, same line).
import requests, httpx, aiohttp, grpc, time, uuid, tenacity
import urllib.request
from flask import Flask
from fastapi import APIRouter
import risk_pb2_grpc
from django.urls import path

app = Flask(__name__)
router = APIRouter(prefix="/x")

@app.route("/a")
def a():
    return requests.get("http://x", timeout=3)

@router.get("/b")
async def b():
    async with httpx.AsyncClient() as c:
        await c.get("/y")
    async with aiohttp.ClientSession() as s:
        async with s.get("http://z") as r:
            pass

class Cli:
    def __init__(self):
        self.s = requests.Session()
        ch = grpc.insecure_channel("risk:1")
        self.stub = risk_pb2_grpc.RiskStub(ch)
    def go(self):
        self.s.post("http://q")
        self.stub.Score(None)
        urllib.request.urlopen("http://u")

class Serv(risk_pb2_grpc.RiskServicer):
    def Score(self, req, ctx):
        rid = uuid.uuid4()

@tenacity.retry(stop=tenacity.stop_after_attempt(3))
def r():
    for attempt in range(3):
        try:
            requests.get("u")
            break
        except Exception:
            time.sleep(1)

urlpatterns = [path("x/", a)]
