# requirepass and AUTH, compared with redis-server byte for byte on fresh connections: AUTH
# without a configured password, NOAUTH before authenticating, WRONGPASS, AUTH with and
# without a user name, HELLO AUTH, commands allowed before AUTH, and connections that were
# already open when the password was set. Then the HTTP API with and without credentials.
import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.http_util import http_instance  # noqa: E402
from lib.resp_raw import RawConn  # noqa: E402


def scenario(server):
    out = []
    admin = RawConn(server)
    out.append(admin.call("AUTH", "nopass-here"))
    out.append(admin.call("AUTH", "default", "anything"))  # the nopass default user
    out.append(admin.call("AUTH", "someone", "x"))
    out.append(admin.call("AUTH", "a", "b", "c"))
    out.append(admin.call("CONFIG", "SET", "requirepass", "s3cret"))
    try:
        out.append(admin.call("GET", "k"))  # was open before: stays authenticated
        c = RawConn(server)
        out.append(c.call("GET", "k"))
        out.append(c.call("NOSUCHCOMMAND"))
        out.append(c.call("GET"))
        out.append(c.call("PING"))
        out.append(c.call("AUTH", "wrong"))
        out.append(c.call("AUTH", "default", "wrong"))
        out.append(c.call("HELLO", "2", "AUTH", "default", "wrong"))
        out.append(c.call("AUTH", "s3cret"))
        out.append(c.call("SET", "k", "v"))
        out.append(c.call("GET", "k"))
        d = RawConn(server)
        out.append(d.call("HELLO", "2", "AUTH", "default", "s3cret")[:1])
        out.append(d.call("GET", "k"))
        e = RawConn(server)
        out.append(e.call("AUTH", "default", "s3cret"))
        out.append(e.call("DEL", "k"))
        out.append(e.call("CONFIG", "GET", "requirepass"))
    finally:
        out.append(admin.call("CONFIG", "SET", "requirepass", ""))
    f = RawConn(server)
    out.append(f.call("GET", "k"))
    return out


def test_auth_matches_redis(servers):
    redis_srv, vole = servers
    assert scenario(vole) == scenario(redis_srv)


def test_http_credentials():
    """With requirepass, HTTP requests need Authorization (Bearer or Basic as default): none
    or a wrong one is 401 from the engine's own check, a right one works."""
    gen = http_instance()
    h = next(gen)
    admin = h.vole.client()  # before the password: stays authenticated
    admin.config_set("requirepass", "s3cret")
    try:
        st, _, body = h.get("/api/v1/keys/x")
        assert st == 401, body
        st, _, body = h.get("/api/v1/keys/x", headers={"Authorization": "Bearer nope"})
        assert st == 401, body
        st, _, body = h.request("PUT", "/api/v1/keys/x", body={"value": "1"},
                                headers={"Authorization": "Bearer s3cret"})
        assert st == 200, body
        basic = base64.b64encode(b"default:s3cret").decode()
        st, _, body = h.get("/api/v1/keys/x", headers={"Authorization": f"Basic {basic}"})
        assert st == 200 and body["value"] == "1", body
    finally:
        admin.config_set("requirepass", "")
        for _ in gen:
            pass
