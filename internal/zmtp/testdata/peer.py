"""A libzmq peer (through pyzmq) for the interop tests of package zmtp.

  peer.py router [SECRET_Z85]          bind a ROUTER on 127.0.0.1, print its
                                       port, echo every message back to its
                                       sender until stdin closes; with
                                       PEER_HEARTBEAT_MS set, libzmq sends
                                       PINGs that often and drops a peer
                                       silent for three times as long
  peer.py dealer ADDR SIZES SEED [SERVER_Z85]
                                       send one message with frames of the
                                       comma-separated SIZES, expect it back
                                       byte for byte, print the SHA-256 of
                                       each frame, exit 0 on a match

Output lines are read by the Go test; errors go to stderr with exit 1.
"""
import hashlib
import os
import random
import sys
import threading

import zmq


def router(secret):
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    s.linger = 0
    hb = int(os.environ.get("PEER_HEARTBEAT_MS", "0"))
    if hb:
        s.heartbeat_ivl = hb
        s.heartbeat_timeout = 3 * hb
        s.heartbeat_ttl = 3 * hb
    if secret:
        s.curve_server = True
        s.curve_secretkey = secret.encode()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    print(port, flush=True)
    # Stop when the test closes our stdin.
    threading.Thread(target=lambda: (sys.stdin.read(), ctx.term()), daemon=True).start()
    try:
        while True:
            msg = s.recv_multipart(copy=False)
            s.send_multipart(msg, copy=False)
    except zmq.ContextTerminated:
        pass
    finally:
        s.close(0)


def dealer(addr, sizes, seed, server_key):
    rnd = random.Random(int(seed))
    frames = [rnd.randbytes(int(n)) for n in sizes.split(",")]
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.rcvtimeo = 30000
    if server_key:
        s.curve_serverkey = server_key.encode()
        pub, sec = zmq.curve_keypair()
        s.curve_publickey = pub
        s.curve_secretkey = sec
    s.connect("tcp://" + addr)
    s.send_multipart(frames)
    got = s.recv_multipart()
    if len(got) != len(frames):
        print("got %d frames, want %d" % (len(got), len(frames)), file=sys.stderr)
        sys.exit(1)
    for i, (a, b) in enumerate(zip(got, frames)):
        if a != b:
            print("frame %d differs (%d vs %d octets)" % (i, len(a), len(b)), file=sys.stderr)
            sys.exit(1)
    for f in frames:
        print(hashlib.sha256(f).hexdigest())
    s.close(0)
    ctx.term()


if __name__ == "__main__":
    if sys.argv[1] == "router":
        router(sys.argv[2] if len(sys.argv) > 2 else "")
    else:
        dealer(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else "")
