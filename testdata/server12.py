"""A small FlaxFile 1.2 server for the client tests, with pyzmq, behaving
as compat §3 describes, quirks included: chunks reordered in memory and
written in id order at the final path, and DOWNLOAD_CHUNK always cut at
the server's default chunk size (16 MiB below 500 MiB), whatever
DOWNLOAD_START was asked for.

  server12.py STORAGE_DIR [SECRET_Z85]

Prints the port it bound on 127.0.0.1, then serves until stdin closes.
"""
import hashlib
import json
import math
import os
import pathlib
import sys
import threading
import time

import zmq

base = pathlib.Path(sys.argv[1]).resolve()
base.mkdir(parents=True, exist_ok=True)
ctx = zmq.Context()
sock = ctx.socket(zmq.ROUTER)
sock.linger = 0
if len(sys.argv) > 2:
    sock.curve_server = True
    sock.curve_secretkey = sys.argv[2].encode()
port = sock.bind_to_random_port("tcp://127.0.0.1")
print(port, flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), ctx.term()), daemon=True).start()

sessions = {}
identity_to_session = {}


def sanitize(key):
    full = (base / key.lstrip("/")).resolve()
    if full != base and base not in full.parents:
        raise ValueError("Invalid file path")
    return full


def default_chunk(size):
    return 16 * 1024 * 1024 if size < 500 * 1024 * 1024 else 32 * 1024 * 1024


def handle(identity, frames):
    cmd = frames[2].decode()
    args = frames[3:]
    if cmd == "PING":
        return [b"PONG"]
    if cmd == "UPLOAD_START_CONCURRENT":
        sid, key, size, conc = args[0].decode(), args[1].decode(), int(args[2]), int(args[3])
        try:
            path = sanitize(key)
        except ValueError:
            return [b"ERROR", b"Invalid file path"]
        if sid not in sessions:
            path.parent.mkdir(parents=True, exist_ok=True)
            sessions[sid] = {"f": open(path, "wb"), "key": key, "next": 0, "buf": {},
                             "sha": hashlib.sha256(), "n": 0, "ids": set(), "start": time.time()}
        sessions[sid]["ids"].add(identity)
        identity_to_session[identity] = sid
        return [b"OK"]
    if cmd == "UPLOAD_CHUNK_CONCURRENT":
        sid = identity_to_session.get(identity)
        if sid is None:
            return [b"ERROR", b"No active upload"]
        s = sessions[sid]
        s["buf"][int(args[0])] = args[1]
        while s["next"] in s["buf"]:
            d = s["buf"].pop(s["next"])
            s["f"].write(d)
            s["sha"].update(d)
            s["n"] += len(d)
            s["next"] += 1
        return [b"ACK", args[0]]
    if cmd == "UPLOAD_END":
        sid = identity_to_session.pop(identity, None)
        if sid is None:
            return [b"ERROR", b"No active upload"]
        s = sessions.get(sid)
        if s is None:
            return [b"OK", json.dumps({"status": "ok", "message": "Upload ended"}).encode()]
        s["ids"].discard(identity)
        if s["ids"]:
            return [b"OK", json.dumps({"status": "ok", "message": "Socket finished, waiting for others"}).encode()]
        s["f"].close()
        del sessions[sid]
        t = time.time() - s["start"]
        return [b"OK", json.dumps({"status": "ok", "file_key": s["key"], "size": s["n"], "time": t,
                                    "throughput": s["n"] / 1048576 / max(t, 1e-9),
                                    "sha256": s["sha"].hexdigest()}).encode()]
    if cmd == "DOWNLOAD_START_CONCURRENT":
        path = sanitize(args[0].decode())
        if not path.exists():
            return [b"ERROR", b"File not found"]
        size = path.stat().st_size
        chunk = default_chunk(size)
        if len(args) > 1:
            try:
                if int(args[1]) != 0:
                    chunk = int(args[1])
            except ValueError:
                pass
        return [b"OK", str(size).encode(), str(math.ceil(size / chunk)).encode(), str(chunk).encode()]
    if cmd == "DOWNLOAD_CHUNK_CONCURRENT":
        path = sanitize(args[0].decode())
        if not path.exists():
            return [b"ERROR", b"File not found"]
        chunk = default_chunk(path.stat().st_size)  # the requested size is ignored here
        with open(path, "rb") as f:
            f.seek(int(args[1]) * chunk)
            data = f.read(chunk)
        return [b"CHUNK", str(int(args[1])).encode(), data]
    if cmd == "LIST":
        prefix = args[0].decode() if args else ""
        out = []
        for p in base.rglob("*"):
            if p.is_file():
                key = str(p.relative_to(base))
                if prefix and not key.startswith(prefix.rstrip("/") + "/"):
                    continue
                st = p.stat()
                out.append({"key": key, "size": st.st_size, "mtime": st.st_mtime})
        return [b"OK", json.dumps(out).encode()]
    if cmd == "DELETE":
        path = sanitize(args[0].decode())
        if path.is_file():
            path.unlink()
            return [b"OK"]
        return [b"ERROR", b"File not found"]
    return [b"ERROR", b"Unknown command"]


try:
    while True:
        frames = sock.recv_multipart()
        if len(frames) < 3:
            continue
        try:
            reply = handle(frames[0], frames)
        except Exception as e:  # the generic handler
            reply = [b"ERROR", str(e).encode()]
        sock.send_multipart([frames[0], b""] + reply)
except zmq.ContextTerminated:
    pass
