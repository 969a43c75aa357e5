"""A real SMTP server on a local port for tests: it accepts every message and keeps
it, parsed, so a test counts what a mail server actually received."""

from __future__ import annotations

import email
import socketserver
import threading
import time
from email import policy


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        sink = self.server.sink
        self.wfile.write(b"220 sink ESMTP\r\n")
        in_data, lines, recipients = False, [], []
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace")
            if in_data:
                if line.rstrip("\r\n") != ".":
                    lines.append(line[1:] if line.startswith("..") else line)
                    continue
                in_data = False
                if sink.delay:
                    time.sleep(sink.delay)
                sink.keep(recipients, "".join(lines))
                lines, recipients, reply = [], [], "250 queued"
            else:
                command = line.strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    reply = "250 sink"
                elif command.startswith("RCPT"):
                    recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                    reply = "250 ok"
                elif command == "DATA":
                    in_data, reply = True, "354 go on"
                elif command.startswith("QUIT"):
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    reply = "250 ok"
            self.wfile.write(reply.encode() + b"\r\n")
            self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPSink:
    def __init__(self):
        self.messages = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.sink = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def keep(self, recipients, data):
        message = email.message_from_string(data, policy=policy.default)
        with self._lock:
            self.messages.append(message)

    def to(self, recipient):
        return [m for m in self.messages if m["To"] == recipient]

    def close(self):
        self._server.shutdown()
        self._server.server_close()
