#!/usr/bin/env python3
"""Misbehaving HTTP servers for the publish fault-path tests.

  fault_server.py MODE PORTFILE [LOGFILE]

Listens on an ephemeral loopback port, writes the port number to PORTFILE,
and serves until killed.  MODE:
  503-then-201  the first request gets 503 with "Retry-After: 1", the next
                ones 201; every request is logged to LOGFILE as
                "METHOD PATH STATUS CONTENT-ENCODING AUTHORIZATION-SCHEME BYTES"
  silent        accepts connections and reads, but never answers
"""
import http.server
import socket
import sys
import threading


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def _handle(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with FlakyHandler.lock:
            FlakyHandler.count += 1
            n = FlakyHandler.count
        status = 503 if n == 1 else 201
        auth = self.headers.get("Authorization", "none").split(" ")[0]
        with open(self.server.logfile, "a") as log:
            log.write("%s %s %d %s %s %d\n" % (self.command, self.path, status,
                      self.headers.get("Content-Encoding", "none"), auth, len(body)))
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = _handle
    do_POST = _handle

    def log_message(self, fmt, *args):
        pass


def silent(sock):
    held = []
    while True:
        conn, _ = sock.accept()
        held.append(conn)  # keep it open, answer nothing

        def drain(c=conn):
            try:
                while c.recv(65536):
                    pass
            except OSError:
                pass
        threading.Thread(target=drain, daemon=True).start()


def main():
    mode, portfile = sys.argv[1], sys.argv[2]
    if mode == "503-then-201":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
        server.logfile = sys.argv[3]
        port = server.server_address[1]
        with open(portfile, "w") as f:
            f.write("%d\n" % port)
        server.serve_forever()
    elif mode == "silent":
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        with open(portfile, "w") as f:
            f.write("%d\n" % sock.getsockname()[1])
        silent(sock)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
