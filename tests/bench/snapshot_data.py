"""Writes RESP commands for the snapshot benchmark to stdout: N keys, deterministic.
mixed: 60% strings (a third integers, the rest 10-100 bytes), 10% hashes, 10% lists,
8% sets (half integers), 7% sorted sets, 5% streams; 10% of the keys get a TTL.
strings: N string keys of 10-100 bytes."""
import random
import sys


def cmd(out, *args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    out.append(b"".join(parts))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    mix = sys.argv[2] if len(sys.argv) > 2 else "mixed"
    rnd = random.Random(1234)
    w = sys.stdout.buffer
    out = []
    letters = b"abcdefghijklmnopqrstuvwxyz0123456789"

    def text(lo, hi):
        k = rnd.randint(lo, hi)
        return bytes(rnd.choice(letters) for _ in range(k))

    for i in range(n):
        key = b"key:%d" % i
        r = rnd.random() if mix == "mixed" else 0.0
        if r < 0.6:
            if mix == "mixed" and rnd.random() < 0.33:
                cmd(out, b"SET", key, rnd.randint(0, 10**9))
            else:
                cmd(out, b"SET", key, text(10, 100))
        elif r < 0.7:
            args = [b"HSET", key]
            for j in range(10):
                args += [b"field%d" % j, text(5, 30)]
            cmd(out, *args)
        elif r < 0.8:
            cmd(out, b"RPUSH", key, *[text(5, 30) for _ in range(10)])
        elif r < 0.88:
            if rnd.random() < 0.5:
                cmd(out, b"SADD", key, *[rnd.randint(0, 10**6) for _ in range(10)])
            else:
                cmd(out, b"SADD", key, *[text(5, 20) for _ in range(10)])
        elif r < 0.95:
            args = [b"ZADD", key]
            for j in range(10):
                args += [b"%.3f" % (rnd.random() * 1000), b"member%d" % j]
            cmd(out, *args)
        else:
            for j in range(5):
                cmd(out, b"XADD", key, b"%d-%d" % (1000 + j, 0), b"f", text(5, 20), b"g", j)
        if mix == "mixed" and rnd.random() < 0.1:
            cmd(out, b"PEXPIREAT", key, 4102444800000 + i)
        if len(out) >= 10000:
            w.write(b"".join(out))
            out = []
    w.write(b"".join(out))


if __name__ == "__main__":
    main()
