"""Opens a console session for bench/console.sh: signs the staff member in with a cookie session,
enrols TOTP with the session's access token (enabling passes MFA on that session) and prints the
Cookie header the console pages need. Usage: console_session.py BASE_URL EMAIL PASSWORD"""
import base64, hmac, json, struct, sys, time, urllib.request

base, email, password = sys.argv[1:4]


def call(path, body, token=None, headers=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request) as response:
        cookies = response.headers.get_all("set-cookie") or []
        text = response.read()
        return (json.loads(text) if text else None), cookies


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
    offset = digest[-1] & 15
    return "%06d" % ((int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF) % 10**6)


signed, cookies = call("/v1/auth/login?session=cookie", {"email": email, "password": password})
token = signed["access_token"]
setup, _ = call("/v1/mfa/totp/setup", {}, token)
call("/v1/mfa/totp/enable", {"code": totp(setup["secret"])}, token)
# A refresh gives an access token that carries the MFA the session has now passed (the staff API
# needs it), and rotates the refresh cookie.
jar = dict(c.split(";", 1)[0].split("=", 1) for c in cookies)
headers = {"cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "x-csrf-token": jar["__Host-tresor_csrf"],
           "origin": base}
refreshed, cookies = call("/v1/auth/refresh?session=cookie", {}, None, headers)
jar.update(dict(c.split(";", 1)[0].split("=", 1) for c in cookies))
print("; ".join(f"{k}={v}" for k, v in jar.items()))
print(refreshed["access_token"])
