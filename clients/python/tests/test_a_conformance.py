"""schemas/conformance.json on a fresh cluster of its own: every request gets the reply it names
(the C++ suite runs the same file: tests/integration/conformance_test.cpp). Named to run first, so
that its cluster is stopped before the session's cluster starts."""

import json
from pathlib import Path

import pytest

from jupiter_client import JupiterError

from conftest import own_cluster

SPEC = Path(__file__).resolve().parents[3] / "schemas" / "conformance.json"


@pytest.fixture(scope="module")
def fresh():
    with own_cluster("jupiter-py-conformance-") as c:
        yield c


def load_cases():
    return json.loads(SPEC.read_text())["cases"]


def test_conformance_file_has_every_refusal():
    codes = {k["expect"].get("code") for k in load_cases()}
    for code in ("id_reused", "ahead_of_head", "too_large", "bad_field", "malformed", "bad_version",
                 "unknown_message", "not_found", "rejected"):
        assert code in codes, code


def test_every_case_gets_its_reply(fresh):
    with fresh.client(timeout=10.0) as c:
        for k in load_cases():
            if "raw_hex" in k:
                data = bytes.fromhex(k["raw_hex"])
            else:
                req = json.loads(json.dumps(k["request"]))
                if "pad" in k:
                    req["body"][k["pad"]["field"]] = "x" * k["pad"]["bytes"]
                data = req
            p = c.submit_raw(data, timeout=10)
            err = p.exception()
            env = err.envelope if isinstance(err, JupiterError) else p.result().envelope
            assert env is not None, (k["name"], err)
            want = k["expect"]
            body = env.get("body", {})
            where = f'{k["name"]}: {env!r}'[:600]
            assert env.get("kind") == want["kind"], where
            if "id" in want:
                assert env.get("id") == want["id"], where
            if "name" in want:
                assert env.get("name") == want["name"], where
            if "code" in want:
                assert body.get("code") == want["code"], where
            if want["kind"] == "error":
                assert body.get("field", "") == want.get("field", ""), where
            for field, value in want.get("body", {}).items():
                assert body.get(field) == value, f"{where}: body.{field}"
