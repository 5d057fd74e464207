"""libpyiotcloud's client pattern, for test/legacy-client.e2e-spec.ts.

Like the replaced system's own client: one http.client.HTTPSConnection for the
whole run, JSON bodies on every method (GET included), and the body of a non-200
answer is never read. Prints one JSON document describing each call.

    python3 legacy_http_client.py '{"host":..., "port":..., "ca":..., "username":...,
                                    "secret":..., "online":..., "offline":..., "idle_seconds":6}'
"""
import http.client
import json
import ssl
import sys
import time

config = json.loads(sys.argv[1])
context = ssl.create_default_context(cafile=config["ca"])
conn = http.client.HTTPSConnection(config["host"], config["port"], context=context, timeout=30)
HEADERS = {"Content-type": "application/json"}
calls = []


def process_request(method, api, devicename, params=None):
    body = dict(params or {}, username=config["username"], secret=config["secret"], devicename=devicename)
    record = {"api": api, "devicename": devicename}
    try:
        conn.request(method, "/" + api, json.dumps(body), HEADERS)
        response = conn.getresponse()
        record["status"] = response.status
        record["connection"] = response.getheader("Connection")
        if response.status == 200:
            record["reply"] = json.loads(response.read())
        # Otherwise, as the old client does: report the status and leave the body unread.
    except Exception as error:  # noqa: BLE001 - the test reports what the client saw
        record["error"] = type(error).__name__ + ": " + str(error)
    calls.append(record)


process_request("GET", "get_status", config["offline"])
process_request("GET", "get_status", config["online"])
process_request("POST", "set_gpio", config["online"], {"number": 2, "value": 1})
# The idle under test: longer than the server's 5 s keep-alive timeout.
time.sleep(config["idle_seconds"])
process_request("GET", "get_gpio", config["online"], {"number": 2})
process_request("GET", "get_status", config["online"])
conn.close()
print(json.dumps({"calls": calls}))
