#!/usr/bin/python3
# Publish fan-out benchmark: S raw-socket subscribers on one channel and one pipelining publisher;
# reports messages delivered per second over all subscribers. Used by vs_redis.py, runnable alone.
import argparse
import selectors
import socket
import sys
import threading
import time

CHANNEL = b"ch"
PAYLOAD = b"0123456789abcdef"
RECV_SIZE = 1 << 18


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def publish_cmd(channel, payload):
    return b"*3\r\n" + bulk(b"PUBLISH") + bulk(channel) + bulk(payload)


def message_frame(channel, payload):
    """What every subscriber receives per PUBLISH (RESP2 push)."""
    return b"*3\r\n" + bulk(b"message") + bulk(channel) + bulk(payload)


def _recv_exact_prefix(sock, want, deadline):
    data = b""
    while len(data) < len(want):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(len(want) - len(data))
        if not chunk:
            raise RuntimeError("fanout: server closed a subscriber during SUBSCRIBE")
        data += chunk
    if data != want:
        raise RuntimeError(f"fanout: unexpected SUBSCRIBE reply {data!r}")


def run(host, port, subs=50, msgs=200000, chunk=1000, max_secs=10.0, timeout=60.0):
    """Returns (deliveries per second, seconds, capped). A run that has not delivered
    everything after max_secs stops there and is rated on what was delivered so far
    (capped=True), so that a slow server does not blow the time budget. Raises on a wrong
    delivery or on a connection closed by the server."""
    deadline = time.monotonic() + timeout
    sub_reply = b"*3\r\n" + bulk(b"subscribe") + bulk(CHANNEL) + b":1\r\n"
    socks = []
    try:
        for _ in range(subs):
            s = socket.create_connection((host, port), timeout=5.0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.sendall(b"*2\r\n" + bulk(b"SUBSCRIBE") + bulk(CHANNEL))
            socks.append(s)
        # All subscriptions are confirmed before the first PUBLISH.
        for s in socks:
            _recv_exact_prefix(s, sub_reply, deadline)

        frame = message_frame(CHANNEL, PAYLOAD)
        want = len(frame) * msgs
        pub_reply = b":%d\r\n" % subs
        pub_want = len(pub_reply) * msgs
        pub = socket.create_connection((host, port), timeout=5.0)
        socks.append(pub)

        sel = selectors.DefaultSelector()
        got = {}
        tail = {}
        for s in socks:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            got[s] = 0
            tail[s] = b""
        pending = len(socks)
        buf = bytearray(RECV_SIZE)
        view = memoryview(buf)

        cmd = publish_cmd(CHANNEL, PAYLOAD)
        send_err = []

        def sender():
            # Blocking sendall in its own thread; TCP backpressure paces it, and the GIL is
            # released while it blocks.
            try:
                s = socket.socket(fileno=socket.dup(pub.fileno()))
                s.setblocking(True)
                full, rest = divmod(msgs, chunk)
                block = cmd * chunk
                for _ in range(full):
                    s.sendall(block)
                if rest:
                    s.sendall(cmd * rest)
                s.detach()
            except OSError as e:
                send_err.append(e)

        capped = False
        t0 = time.monotonic()
        th = threading.Thread(target=sender, daemon=True)
        th.start()
        while pending:
            left = deadline - time.monotonic()
            if left <= 0 or send_err:
                short = sum(1 for s in socks[:-1] if got[s] < want)
                raise RuntimeError(f"fanout: timed out or send failed ({send_err}); "
                                   f"{short}/{subs} subscribers short")
            if time.monotonic() - t0 >= max_secs:
                capped = True
                break
            events = sel.select(min(left, 1.0))
            nbytes = 0
            for key, _ in events:
                s = key.fileobj
                try:
                    n = s.recv_into(buf)
                except BlockingIOError:
                    continue
                if n == 0:
                    raise RuntimeError("fanout: server closed a connection "
                                       f"({got[s]} of {want} bytes received)")
                got[s] += n
                nbytes += n
                limit = pub_want if s is pub else want
                if got[s] >= limit:
                    keep = len(pub_reply) if s is pub else len(frame)
                    tail[s] = bytes(view[max(0, n - keep):n])
                    sel.unregister(s)
                    pending -= 1
                    if got[s] > limit:
                        raise RuntimeError(f"fanout: {got[s]} bytes received, {limit} expected")
            # When the server sends in small pieces, let them pile up in the socket buffers so
            # that the client spends its CPU on few large reads, not on one recv per message.
            if events and nbytes < 4096 * len(events):
                time.sleep(0.0005)
        elapsed = time.monotonic() - t0
        sel.close()
        delivered = sum(got[s] for s in socks[:-1]) // len(frame)
        if capped:
            return delivered / elapsed, elapsed, True
        th.join(5.0)
        for s in socks[:-1]:
            if not frame.endswith(tail[s]) or not tail[s]:
                raise RuntimeError(f"fanout: bad last message {tail[s]!r}")
        if not pub_reply.endswith(tail[pub]):
            raise RuntimeError(f"fanout: bad PUBLISH reply {tail[pub]!r}")
        return subs * msgs / elapsed, elapsed, False
    finally:
        for s in socks:
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("-p", "--port", type=int, default=6379)
    ap.add_argument("-s", "--subs", type=int, default=50)
    ap.add_argument("-n", "--msgs", type=int, default=200000)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--max-secs", type=float, default=10.0)
    a = ap.parse_args()
    rate, secs, capped = run(a.host, a.port, a.subs, a.msgs, a.chunk, a.max_secs)
    print(f"{a.subs} subscribers x {a.msgs} messages: {rate:.0f} deliveries/s ({secs:.2f}s"
          f"{', capped' if capped else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
