"""Drive a FlaxFile server with pyzmq DEALERs, as FlaxFile 1.2 clients do,
and check every command's reply frames byte for byte against compat §3.

  conformance.py ADDR [SERVER_PUBLIC_Z85]

Prints one line per check, "ok NAME" or "FAIL NAME: ...", and exits 1 if
any check failed.
"""
import hashlib
import json
import sys
import uuid

import zmq

ADDR = sys.argv[1]
SERVER_KEY = sys.argv[2].encode() if len(sys.argv) > 2 else None
ctx = zmq.Context()
failed = []


def dealer():
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.rcvtimeo = 10000
    if SERVER_KEY:
        pub, sec = zmq.curve_keypair()
        s.curve_serverkey = SERVER_KEY
        s.curve_publickey = pub
        s.curve_secretkey = sec
    s.connect("tcp://" + ADDR)
    return s


def req(s, *frames):
    s.send_multipart([f if isinstance(f, bytes) else f.encode() for f in frames])
    return s.recv_multipart()


def check(name, got, want):
    if got == want:
        print("ok", name)
    else:
        print("FAIL %s: got %r want %r" % (name, got, want))
        failed.append(name)


def err(msg):
    return [b"", b"ERROR", msg.encode()]


s = dealer()
s2 = dealer()
E = b""

# PING, unknown commands, malformed messages.
check("ping", req(s, E, "PING"), [b"", b"PONG"])
check("ping extra frames", req(s, E, "PING", "x", "y"), [b"", b"PONG"])
check("unknown", req(s, E, "NOPE"), err("Unknown command"))
s.send_multipart([b""])  # fewer than 3 frames with the identity: dropped
check("short message dropped", req(s, E, "PING"), [b"", b"PONG"])

# UPLOAD_START validation, in 1.2's order.
sid = str(uuid.uuid4())
check("start missing", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k", "1"), err("Missing arguments"))
check("start bad int", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k", "x", "1"),
      err("invalid literal for int() with base 10: 'x'"))
check("start sid long", req(s, E, "UPLOAD_START_CONCURRENT", "s" * 257, "k", "1", "1"), err("session_id too long"))
check("start key long", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k" * 4097, "1", "1"), err("file_key too long"))
check("start size -1", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k", "-1", "1"), err("invalid file_size"))
check("start size big", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k", str(10 * 1024**4 + 1), "1"), err("invalid file_size"))
check("start conc 0", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k", "1", "0"), err("invalid max_concurrency"))
check("start conc 1025", req(s, E, "UPLOAD_START_CONCURRENT", sid, "k", "1", "1025"), err("invalid max_concurrency"))
check("start escape", req(s, E, "UPLOAD_START_CONCURRENT", sid, "../x", "1", "1"), err("Invalid file path"))
check("start root", req(s, E, "UPLOAD_START_CONCURRENT", sid, "/", "1", "1"), err("Invalid file path"))
check("chunk no session", req(s, E, "UPLOAD_CHUNK_CONCURRENT", "0", "x"), err("No active upload"))
check("end no session", req(s, E, "UPLOAD_END"), err("No active upload"))

# A two-chunk upload on one socket; the chunk id frame is echoed as sent.
data = b"0123456789"
check("start ok", req(s, E, "UPLOAD_START_CONCURRENT", sid, "conf/a.bin", "10", "4"), [b"", b"OK"])
check("chunk no data", req(s, E, "UPLOAD_CHUNK_CONCURRENT", "0"), err("No data"))
check("chunk 00", req(s, E, "UPLOAD_CHUNK_CONCURRENT", "00", data[:5]), [b"", b"ACK", b"00"])
check("chunk 1", req(s, E, "UPLOAD_CHUNK_CONCURRENT", "1", data[5:]), [b"", b"ACK", b"1"])
r = req(s, E, "UPLOAD_END")
prefix = b'{"status": "ok", "file_key": "conf/a.bin", "size": 10, "time": '
suffix = b', "sha256": "' + hashlib.sha256(data).hexdigest().encode() + b'"}'
check("end frames", (len(r), r[:2]), (3, [b"", b"OK"]))
check("end json text", (r[2].startswith(prefix), r[2].endswith(suffix), b'"throughput": ' in r[2]), (True, True, True))
j = json.loads(r[2])
check("end json fields", sorted(j), ["file_key", "sha256", "size", "status", "throughput", "time"])

# Two sockets in one session: the first END waits for the other.
sid2 = str(uuid.uuid4())
a, b = dealer(), dealer()
check("join a", req(a, E, "UPLOAD_START_CONCURRENT", sid2, "conf/b.bin", "6", "8"), [b"", b"OK"])
check("join b", req(b, E, "UPLOAD_START_CONCURRENT", sid2, "ignored", "6", "8"), [b"", b"OK"])
check("a chunk 0", req(a, E, "UPLOAD_CHUNK_CONCURRENT", "0", b"abc"), [b"", b"ACK", b"0"])
check("b chunk 1", req(b, E, "UPLOAD_CHUNK_CONCURRENT", "1", b"def"), [b"", b"ACK", b"1"])
check("a end", req(a, E, "UPLOAD_END"), [b"", b"OK", b'{"status": "ok", "message": "Socket finished, waiting for others"}'])
r = req(b, E, "UPLOAD_END")
check("b end", json.loads(r[2])["file_key"], "conf/b.bin")

# Empty and small files for LIST's hashes (XXH3-64 vectors of compat §3).
for key, body in (("conf/empty", b""), ("conf/abc", b"abc")):
    sid3 = str(uuid.uuid4())
    req(s, E, "UPLOAD_START_CONCURRENT", sid3, key, str(len(body)), "1")
    if body:
        req(s, E, "UPLOAD_CHUNK_CONCURRENT", "0", body)
    check("end " + key, json.loads(req(s, E, "UPLOAD_END")[2])["size"], len(body))

# A file of several 4 MiB chunks, as 1.2's client cuts it, out of order.
big = bytes(range(256)) * (10 * 4096 + 1)
sid6 = str(uuid.uuid4())
req(s, E, "UPLOAD_START_CONCURRENT", sid6, "big/x.bin", str(len(big)), "3")
mib4 = 4 * 1024 * 1024
for i in (2, 0, 1):
    check("big chunk %d" % i, req(s, E, "UPLOAD_CHUNK_CONCURRENT", str(i), big[i * mib4:(i + 1) * mib4])[1], b"ACK")
r = req(s, E, "UPLOAD_END")
check("big end", json.loads(r[2])["sha256"], hashlib.sha256(big).hexdigest())
req(s, E, "DELETE", "big/x.bin")

# The Go extension: a fifth UPLOAD_START frame asks for XXH3-128, and
# UPLOAD_END carries the client's own; a mismatch publishes nothing.
empty_xxh = "99aa06d3014798d86001c324468d497f"  # XXH3-128 of no octets
sid4 = str(uuid.uuid4())
req(s, E, "UPLOAD_START_CONCURRENT", sid4, "conf/x0", "0", "1", "xxh3-128")
check("xxh3 end", req(s, E, "UPLOAD_END", empty_xxh)[2].endswith(b'"sha256": "", "xxh3_128": "' + empty_xxh.encode() + b'"}'), True)
sid5 = str(uuid.uuid4())
req(s, E, "UPLOAD_START_CONCURRENT", sid5, "conf/bad", "3", "1", "xxh3-128")
req(s, E, "UPLOAD_CHUNK_CONCURRENT", "0", b"abc")
r = req(s, E, "UPLOAD_END", "0" * 32)
check("xxh3 mismatch", (r[1], r[2].startswith(b"checksum mismatch")), (b"ERROR", True))
check("xxh3 mismatch unpublished", req(s, E, "DOWNLOAD_START_CONCURRENT", "conf/bad"), err("File not found"))
req(s, E, "DELETE", "conf/x0")

# LIST: a directory prefix, sorted here, JSON as Python writes it.
r = req(s, E, "LIST", "conf", "true")
check("list frames", r[:2], [b"", b"OK"])
entries = json.loads(r[2])
check("list keys", [e["key"] for e in entries], ["conf/a.bin", "conf/abc", "conf/b.bin", "conf/empty"])
check("list hashes", {e["key"]: e["hash"] for e in entries if e["key"] in ("conf/abc", "conf/empty")},
      {"conf/abc": "78af5f94892f3950", "conf/empty": "2d06800538d394c2"})
check("list json text", r[2].startswith(b'[{"key": "conf/a.bin", "size": 10, "mtime": '), True)
r = req(s, E, "LIST", "conf", "false")
check("list no hash", "hash" in json.loads(r[2])[0], False)
check("list file prefix", req(s, E, "LIST", "conf/a.bin", "false"), [b"", b"OK", b"[]"])
check("list missing", req(s, E, "LIST", "nothing", "false"), [b"", b"OK", b"[]"])
check("list no args", len(json.loads(req(s, E, "LIST")[2])) >= 4, True)
# Without the delimiter, 1.2 reads frame 2 as the command.
check("no delimiter", req(s, "PING", "LIST")[1], b"OK")

# DOWNLOAD_START and DOWNLOAD_CHUNK.
check("dstart missing", req(s, E, "DOWNLOAD_START_CONCURRENT"), err("Missing file_key"))
check("dstart escape", req(s, E, "DOWNLOAD_START_CONCURRENT", "../etc/passwd"), err("Invalid file path"))
check("dstart not found", req(s, E, "DOWNLOAD_START_CONCURRENT", "conf/none"), err("File not found"))
check("dstart default", req(s, E, "DOWNLOAD_START_CONCURRENT", "conf/a.bin"), [b"", b"OK", b"10", b"1", b"16777216"])
check("dstart bad size", req(s, E, "DOWNLOAD_START_CONCURRENT", "conf/a.bin", "x"), [b"", b"OK", b"10", b"1", b"16777216"])
# Without exact-chunks the answer is the size every CHUNK is cut at: the
# default (1.2 answered the requested size and cut at its default).
check("dstart 4", req(s, E, "DOWNLOAD_START_CONCURRENT", "conf/a.bin", "4"), [b"", b"OK", b"10", b"1", b"16777216"])
check("dchunk default", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "0"), [b"", b"CHUNK", b"0", b"0123456789"])
exact = req(s, E, "DOWNLOAD_START_CONCURRENT", "conf/a.bin", "4", "exact-chunks")
check("dstart exact", exact[:6], [b"", b"OK", b"10", b"3", b"4", b"exact-chunks"])
check("dstart exact handle", len(exact) == 7 and len(exact[6]) == 24, True)
# The chunk size DOWNLOAD_START agreed is what CHUNK uses, on its socket
# and, with the handle, on another.
check("dchunk 0", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "0"), [b"", b"CHUNK", b"0", b"0123"])
check("dchunk 2", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "2"), [b"", b"CHUNK", b"2", b"89"])
check("dchunk handle", req(s2, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "1", exact[6].decode()), [b"", b"CHUNK", b"1", b"4567"])
check("dchunk other socket", req(s2, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "1"), [b"", b"CHUNK", b"1", b""])
check("dchunk past end", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "9"), [b"", b"CHUNK", b"9", b""])
check("dchunk negative", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "-1"), err("[Errno 22] Invalid argument"))
check("dchunk missing args", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin"), err("Missing arguments"))
check("dchunk not found", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/none", "0"), err("File not found"))
check("dchunk bad id", req(s, E, "DOWNLOAD_CHUNK_CONCURRENT", "conf/a.bin", "x"),
      err("invalid literal for int() with base 10: 'x'"))
check("dstart dir", req(s, E, "DOWNLOAD_START_CONCURRENT", "conf")[:2], [b"", b"ERROR"])

# DELETE.
check("delete missing arg", req(s, E, "DELETE"), err("Missing file_key"))
check("delete root", req(s, E, "DELETE", ""), err("Invalid file path"))
check("delete dot", req(s, E, "DELETE", "."), err("Invalid file path"))
check("delete escape", req(s, E, "DELETE", "../x"), err("Invalid file path"))
check("delete not found", req(s, E, "DELETE", "conf/none"), err("File not found"))
check("delete file extra frame", req(s, E, "DELETE", "conf/abc", "extra"), [b"", b"OK"])
check("delete dir", req(s, E, "DELETE", "conf"), [b"", b"OK"])
check("list after delete", req(s, E, "LIST", "conf", "false"), [b"", b"OK", b"[]"])

sys.exit(1 if failed else 0)
