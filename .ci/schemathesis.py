#!/usr/bin/env python3
"""Schema-driven test of the running server: schemathesis over /openapi.json, anonymous, as a
customer and as an admin signed in with MFA. Fails on any 5xx, any status, content type, header
or body that the document does not declare, and any unsupported method not answered 405.

usage: .ci/schemathesis.py TRESOR_BINARY [MAX_EXAMPLES]
Needs `st` (pip install schemathesis) on PATH, or its path in SCHEMATHESIS_ST. Runs on a fresh SQLite data folder; bounded by
MAX_EXAMPLES per operation (default 15) — a few minutes in all.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
])
PASSWORD = "correct horse battery staple 42"
# Signing out needs no secret, so a generated request would end the session and the signed-in
# runs would spend the rest of their examples on 401s: it is tested anonymously only. (Deleting
# the account, changing the password or disabling MFA need the password, which is never guessed.)
# The live feed (GET /v1/events) is a stream that stays open while the session lives: signed in,
# every example would wait out the request timeout. It too is run anonymously only (its refusals).
SELF_ENDING = r"^/v1/auth/logout$|^/v1/events$"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, (json.loads(text) if text else None)


def totp(secret, at):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def next_window():
    """Waits for a fresh 30-second TOTP window (a code is accepted once)."""
    time.sleep(30 - time.time() % 30 + 1)


def create_user(binary, env, email, role):
    subprocess.run(
        [binary, "admin", "create", "--email", email, "--full-name", "Schema Test", "--role", role,
         "--password-stdin"],
        input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True,
    )


def sign_in(base, email):
    status, body = call(base, "POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    assert status == 200, (status, body)
    return body


def admin_with_mfa(base, email):
    token = sign_in(base, email)["access_token"]
    status, setup = call(base, "POST", "/v1/mfa/totp/setup", None, token)
    assert status == 200, (status, setup)
    secret = setup["secret"]
    status, body = call(base, "POST", "/v1/mfa/totp/enable", {"code": totp(secret, time.time())}, token)
    assert status == 200, (status, body)
    next_window()
    challenge = sign_in(base, email)
    assert challenge.get("mfa_required"), challenge
    status, body = call(base, "POST", "/v1/auth/mfa",
                        {"mfa_token": challenge["mfa_token"], "code": totp(secret, time.time())})
    assert status == 200, (status, body)
    return body["access_token"]


def schemathesis(base, max_examples, label, workdir, token=None):
    command = [os.environ.get("SCHEMATHESIS_ST", "st"), "run", base + "/openapi.json", "--checks", CHECKS,
               "--max-examples", str(max_examples), "--phases", "examples,coverage,fuzzing",
               "--workers", "2", "--seed", "1", "--request-timeout", "30"]
    if token:
        command += ["-H", "Authorization: Bearer " + token]
        command += ["--exclude-path-regex", SELF_ENDING]
    print(f"==> schemathesis as {label}", flush=True)
    return subprocess.run(command, cwd=workdir).returncode


def main():
    binary = os.path.abspath(sys.argv[1])
    max_examples = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    data_dir = tempfile.mkdtemp(prefix="tresor-schemathesis-")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TRESOR_DATA_DIR": data_dir,
        "DATABASE_URL": f"sqlite://{data_dir}/tresor.db?mode=rwc",
        "TRESOR_BIND": f"127.0.0.1:{port}",
        # A host name, so that passkeys are on (WebAuthn needs one) and their endpoints are tested.
        "TRESOR_PUBLIC_URL": f"http://localhost:{port}",
        "RUST_LOG": "warn",
    }
    # Rate limits would turn a long run into 429s; the contract is what is under test.
    for limit in ["LOGIN_IP_EMAIL", "LOGIN_IP", "REGISTER", "PASSWORD_FORGOT", "REFRESH", "MFA", "DOCUMENT_UPLOAD",
                  "TRANSFERS"]:
        env[f"TRESOR__RATE_LIMITS__{limit}"] = "off"
    base = f"http://127.0.0.1:{port}"
    subprocess.run([binary, "migrate"], env=env, check=True)
    create_user(binary, env, "customer@example.com", "customer")
    create_user(binary, env, "admin@example.com", "admin")
    log = open(os.path.join(data_dir, "serve.log"), "w")
    server = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if call(base, "GET", "/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        customer = sign_in(base, "customer@example.com")["access_token"]
        admin = admin_with_mfa(base, "admin@example.com")
        failures = 0
        failures += schemathesis(base, max_examples, "anonymous", data_dir) != 0
        failures += schemathesis(base, max_examples, "a customer", data_dir, customer) != 0
        failures += schemathesis(base, max_examples, "an admin with MFA", data_dir, admin) != 0
        log.flush()
        with open(os.path.join(data_dir, "serve.log")) as f:
            panics = [line for line in f if "panicked" in line]
        if panics:
            print("the server panicked:", *panics, sep="\n")
            failures += 1
        if server.poll() is not None:
            print("the server stopped during the run")
            failures += 1
        sys.exit(1 if failures else 0)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
