# Vole's core features (namespaces, delayed keys, tags, schemas, HSEARCH, audit log) appear
# in COMMAND, COMMAND DOCS and COMMAND INFO like every other command.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.resp_raw import RawConn  # noqa: E402

CORE = ["namespace", "setdelayed", "tag", "tagget", "tagdel", "tagquery", "schema.set",
        "schema.get", "schema.del", "schema.list", "hsearch", "audit", "audit.search",
        "audit.enable", "audit.disable", "audit.clear", "audit.size"]


def test_docs_and_info(vole_server):
    c = RawConn(vole_server)
    try:
        for name in CORE:
            docs = c.call("COMMAND", "DOCS", name)
            assert docs.startswith(b"*2\r\n"), (name, docs[:80])
            assert b"summary" in docs and b"since" in docs and b"group" in docs
            info = c.call("COMMAND", "INFO", name)
            assert info.startswith(b"*1\r\n*"), (name, info[:80])
        subs = c.call("COMMAND", "DOCS", "namespace")
        for sub in (b"namespace|create", b"namespace|use", b"namespace|list",
                    b"namespace|current", b"namespace|drop"):
            assert sub in subs
        # the internal effect commands are documented as such
        assert b"Internal" in c.call("COMMAND", "DOCS", "vole.audit")
        assert b"Internal" in c.call("COMMAND", "DOCS", "vole.delayed")
    finally:
        c.close()


def test_internal_commands_refused(vole_server):
    c = RawConn(vole_server)
    try:
        assert c.call("VOLE.AUDIT", "ADD", "1", "k", "SET k v", "a", "u").startswith(
            b"-ERR VOLE.AUDIT is internal")
        assert c.call("VOLE.DELAYED", "FIRE", "k", "1").startswith(b"-ERR VOLE.DELAYED is internal")
    finally:
        c.close()
