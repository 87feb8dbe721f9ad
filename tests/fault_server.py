#!/usr/bin/env python3
"""Misbehaving HTTP servers for the publish fault-path tests.

  fault_server.py MODE PORTFILE [LOGFILE [DIR]]

Listens on an ephemeral loopback port, writes the port number to PORTFILE,
and serves until killed.  MODE:
  503-then-201  the first request gets 503 with "Retry-After: 1", the next
                ones 201; every request is logged to LOGFILE as
                "METHOD PATH STATUS CONTENT-ENCODING AUTHORIZATION-SCHEME BYTES",
                and " X-Injected" when the request had that header
  silent        accepts connections and reads, but never answers
  echo-auth     answers 401 with the request's Authorization header and
                request line echoed in the reason phrase and the body (as
                sent, and JSON-escaped); logs like 503-then-201
  escapes       answers 403 with ESC, BEL, BS, CR, DEL and a C1 CSI in its
                reason phrase and in a body that tries to forge a line
  serve         GET serves the file DIR/PATH (the query ignored); logs
  webdav        RFC 4918 collections in memory: MKCOL makes one (201; 405 if
                it exists, 409 if its parent does not), PUT into a missing
                collection is 409 Conflict (section 9.7.1), else 201; logs
                like 503-then-201
"""
import http.server
import json
import os
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
        log_request(self, status, len(body))
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = _handle
    do_POST = _handle

    def log_message(self, fmt, *args):
        pass


def log_request(handler, status, body_len):
    auth = handler.headers.get("Authorization", "none").split(" ")[0]
    with open(handler.server.logfile, "a") as log:
        log.write("%s %s %d %s %s %d%s\n" % (handler.command, handler.path, status,
                  handler.headers.get("Content-Encoding", "none"), auth, body_len,
                  " X-Injected" if "X-Injected" in handler.headers else ""))


def answer(handler, status, reason, body):
    """Writes the whole answer by hand: http.server would not send a
    reason phrase or body with control characters through its helpers."""
    head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
        status, reason, len(body))
    handler.wfile.write(head.encode("latin-1") + body)
    handler.close_connection = True


class EchoAuthHandler(http.server.BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        log_request(self, 401, length)
        auth = self.headers.get("Authorization", "")
        seen = "%s %s; %s" % (self.command, self.path, auth)
        body = ("%s\ndenied: %s\n" % (json.dumps({"got": seen}).replace("/", "\\/"), seen))
        answer(self, 401, "Unauthorized %s %s" % (self.path, auth),
               body.encode("latin-1", "replace"))

    do_PUT = _handle
    do_POST = _handle
    do_GET = _handle

    def log_message(self, fmt, *args):
        pass


class EscapesHandler(http.server.BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        log_request(self, 403, length)
        reason = "Forbidden\x1b[2J\x1b]0;owned\x07\x08\x08\x7f"
        body = (b"\x1b[31mred\x07\x1b]0;title\x07 first\rloopcompat publish: stored\x08"
                b"\x7f\xc2\x9b31m\xff\nFORGED second line\n")
        answer(self, 403, reason, body)

    do_PUT = _handle
    do_POST = _handle

    def log_message(self, fmt, *args):
        pass


class ServeHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = os.path.basename(self.path.split("?")[0])
        path = os.path.join(self.server.docroot, name)
        try:
            with open(path, "rb") as f:
                body = f.read()
            status = 200
        except OSError:
            body, status = b"not found\n", 404
        log_request(self, status, 0)
        answer(self, status, "OK" if status == 200 else "Not Found", body)

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


class WebdavHandler(http.server.BaseHTTPRequestHandler):
    collections = {"/"}
    lock = threading.Lock()

    def _answer(self, status):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        log_request(self, status, len(body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_MKCOL(self):
        path = self.path if self.path.endswith("/") else self.path + "/"
        parent = path[:path.rstrip("/").rfind("/") + 1]
        with WebdavHandler.lock:
            if path in WebdavHandler.collections:
                status = 405
            elif parent not in WebdavHandler.collections:
                status = 409
            else:
                WebdavHandler.collections.add(path)
                status = 201
        self._answer(status)

    def do_PUT(self):
        parent = self.path[:self.path.rfind("/") + 1]
        with WebdavHandler.lock:
            status = 201 if parent in WebdavHandler.collections else 409
        self._answer(status)

    def log_message(self, fmt, *args):
        pass


def main():
    mode, portfile = sys.argv[1], sys.argv[2]
    handlers = {"503-then-201": FlakyHandler, "echo-auth": EchoAuthHandler,
                "escapes": EscapesHandler, "serve": ServeHandler,
                "webdav": WebdavHandler}
    if mode in handlers:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handlers[mode])
        server.logfile = sys.argv[3]
        server.docroot = sys.argv[4] if len(sys.argv) > 4 else "."
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
