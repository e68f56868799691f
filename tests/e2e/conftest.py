# Fixtures shared by the end-to-end tests: a reference redis-server and the server under test
# started once per module, and a list of raw connections closed after each test.
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.vole_proc import start_redis, start_subject, start_vole  # noqa: E402


@pytest.fixture(scope="module")
def server_args():
    """Extra command-line arguments given to both servers; a module overrides this fixture to
    change them."""
    return ()


@pytest.fixture(scope="module")
def servers(server_args):
    """(redis, subject) for the module's tests."""
    r = start_redis(extra_args=server_args)
    try:
        # start_subject drops extra_args when the subject is a second redis-server
        v = (start_redis(extra_args=server_args) if os.environ.get("VOLE_TESTS_AGAINST_REDIS")
             else start_subject(extra_args=server_args))
    except Exception:
        r.stop()
        raise
    yield r, v
    r.stop()
    rc = v.stop()
    # a clean shutdown is part of the contract; a crash during the module shows up here
    assert rc == 0, f"server exited with {rc}\n{v.log_tail()}"


@pytest.fixture
def opened():
    """Connections a test opened (it appends them), closed when it ends."""
    conns = []
    yield conns
    for c in conns:
        c.close()


@pytest.fixture(scope="module")
def vole_server(server_args):
    """Vole alone, for Vole's own commands (no Redis oracle: the tests state the semantics)."""
    v = start_vole(extra_args=server_args)
    yield v
    rc = v.stop()
    assert rc == 0, f"server exited with {rc}\n{v.log_tail()}"


@pytest.fixture
def vr(vole_server):
    """A decoding redis-py client on a flushed vole_server (RESP2)."""
    r = vole_server.client(decode_responses=True)
    r.flushall()
    yield r
    r.close()


@pytest.fixture(scope="module")
def vole_alone(vole_server):
    """The same server under the name the queue and rate-limit tests use."""
    return vole_server


@pytest.fixture
def vole_r(vole_alone):
    """A byte-returning redis-py client of vole_alone, on an emptied server."""
    c = vole_alone.client()
    c.flushall()
    yield c
    c.close()
