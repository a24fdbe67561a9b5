"""Drives our Open311 endpoints with an existing client library, unchanged.

georeport (PyPI) reads; it cannot file, so filing is the spec's form POST,
made with `requests` as any client would. Prints one JSON object of what it
saw, for tests/open311_client.rs to check.

    check.py file BASE_URL API_KEY SERVICE_CODE
    check.py read BASE_URL SERVICE_REQUEST_ID
"""

import json
import sys

import requests
from georeport import GeoReport


def both(base, key=None):
    return {fmt: GeoReport(base, api_key=key, output_format=fmt) for fmt in ("json", "xml")}


def listed(value):
    # xmltodict gives one element as a dict, several as a list.
    return value if isinstance(value, list) else [value]


def file(base, key, service_code):
    out = {}
    clients = both(base, key)
    for fmt, c in clients.items():
        services = listed(c.get_service_list())
        out[f"services_{fmt}"] = sorted(s["service_code"] for s in services)
        out[f"service_names_{fmt}"] = sorted(s["service_name"] for s in services)
        d = c.get_service_definition(service_code)
        out[f"definition_{fmt}"] = d["service_code"]
    # File the way the spec shows: a form POST.
    r = requests.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "service_code": service_code,
            "lat": "21.028511",
            "long": "105.854167",
            "address_string": "12 Đinh Tiên Hoàng, Hoàn Kiếm",
            "description": "Cột đèn trước số 12 không sáng ba tối nay.",
            "email": "mai.le@example.vn",
            "first_name": "Mai",
            "last_name": "Lê",
            "device_id": "python-client",
            "attribute[area_code]": "00070",
        },
    )
    out["post_status"] = r.status_code
    answer = r.json()[0]
    sid = answer["service_request_id"]
    out["service_request_id"] = sid
    out["service_notice"] = answer.get("service_notice")
    # The same with a wrong key: an error list.
    bad = requests.post(f"{base}/requests.xml", data={"api_key": "wrong", "service_code": service_code})
    out["wrong_key_status"] = bad.status_code
    out["wrong_key_body"] = bad.text
    for fmt, c in clients.items():
        one = c.get_service_request(sid)
        out[f"by_id_{fmt}"] = {k: one.get(k) for k in ("service_request_id", "status", "service_code", "description")}
        filtered = listed(c.get_service_requests(service_code=service_code, status="open"))
        out[f"filtered_{fmt}"] = [r["service_request_id"] for r in filtered]
    return out


def read(base, sid):
    out = {}
    for fmt, c in both(base).items():
        one = c.get_service_request(sid)
        out[fmt] = {k: one.get(k) for k in ("status", "status_notes", "lat", "long")}
        closed = listed(c.get_service_requests(status="closed"))
        out[f"closed_{fmt}"] = [r["service_request_id"] for r in closed]
    return out


if __name__ == "__main__":
    mode, base = sys.argv[1], sys.argv[2].rstrip("/")
    result = file(base, sys.argv[3], sys.argv[4]) if mode == "file" else read(base, sys.argv[3])
    print(json.dumps(result, ensure_ascii=False))
