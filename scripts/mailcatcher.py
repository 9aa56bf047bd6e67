#!/usr/bin/env python3
"""A local mail catcher for `make run` and the tests (docs/notifications.md).

A real SMTP server (aiosmtpd, PyPI) that keeps every message it accepts, and
a small web server to read them:

  GET /                 the messages, newest first, as a page
  GET /api/messages     the same as JSON (headers, text, html, attachments)
  DELETE /api/messages  forgets them

--reject REGEX answers `451 4.3.0` (a temporary failure) to every recipient
matching REGEX, so a test can make one notification keep failing.

Like an MTA, a message whose final "." arrived is kept even if the client
vanishes before reading the reply (the receiver side of RFC 1047); aiosmtpd
alone drops it, cancelling its handler the moment the connection ends.

Installed into .local/venv by scripts/mailcatcher.sh; never for production.
"""

import argparse
import email
import email.policy
import html
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

MESSAGES = []
LOCK = threading.Lock()


def parse(envelope):
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    body_html = msg.get_body(preferencelist=("html",))
    attachments = []
    for part in msg.iter_attachments():
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        attachments.append(
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "content": content,
            }
        )
    return {
        "received_at": time.time(),
        "message_id": msg.get("Message-ID"),
        "notification": msg.get("X-Combipat-Notification"),
        "from": msg.get("From"),
        "reply_to": msg.get("Reply-To"),
        "to": envelope.rcpt_tos,
        "subject": msg.get("Subject"),
        "date": msg.get("Date"),
        "text": text.get_content() if text else None,
        "html": body_html.get_content() if body_html else None,
        "attachments": attachments,
    }


class Handler:
    def __init__(self, reject):
        self.reject = re.compile(reject) if reject else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "451 4.3.0 Destinatario temporaneamente non disponibile"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = parse(envelope)
        with LOCK:
            MESSAGES.append(parsed)
        return "250 Message accepted for delivery"


class MtaSMTP(SMTP):
    """Processes all that arrived before the end of the connection, then ends
    it: a complete message is kept, an unterminated one is still discarded
    (its handler waits for the rest of DATA and is cancelled)."""

    def eof_received(self):
        self._end_when_drained()
        # Keep the (half-closed) transport until the input is processed.
        return True

    def _end_when_drained(self):
        if self.transport is None:
            return
        # The handler has not consumed all that arrived yet: look again soon.
        if self._reader._buffer:
            self.loop.call_later(0.05, self._end_when_drained)
            return
        SMTP.eof_received(self)
        if self.transport is not None:
            self.transport.close()


class MtaController(Controller):
    def factory(self):
        return MtaSMTP(self.handler, **self.SMTP_kwargs)


def page():
    with LOCK:
        rows = list(reversed(MESSAGES))
    items = "".join(
        "<article><h2>{}</h2><p>A: {} · {}</p><pre>{}</pre>{}</article>".format(
            html.escape(m["subject"] or "(senza oggetto)"),
            html.escape(", ".join(m["to"])),
            html.escape(m["date"] or ""),
            html.escape(m["text"] or ""),
            "".join(
                "<p>Allegato: {}</p>".format(html.escape(a["filename"] or ""))
                for a in m["attachments"]
            ),
        )
        for m in rows
    )
    return (
        '<!DOCTYPE html><html lang="it"><head><meta charset="utf-8">'
        "<title>Posta inviata da combipat</title></head><body>"
        "<h1>Posta inviata da combipat ({})</h1>{}</body></html>".format(len(rows), items)
    )


class Web(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, content_type):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/api/messages"):
            with LOCK:
                body = json.dumps(MESSAGES)
            self.send(200, body, "application/json")
        elif self.path == "/":
            self.send(200, page(), "text/html; charset=utf-8")
        else:
            self.send(404, "not found", "text/plain")

    def do_DELETE(self):
        with LOCK:
            MESSAGES.clear()
        self.send(204, "", "text/plain")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smtp-port", type=int, default=1025)
    ap.add_argument("--http-port", type=int, default=1080)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--reject", default=None)
    args = ap.parse_args()
    controller = MtaController(
        Handler(args.reject), hostname=args.host, port=args.smtp_port, data_size_limit=10_000_000
    )
    controller.start()
    web = ThreadingHTTPServer((args.host, args.http_port), Web)
    print(
        "mailcatcher smtp={}:{} web=http://{}:{}/".format(
            args.host, args.smtp_port, args.host, web.server_address[1]
        ),
        flush=True,
    )
    try:
        web.serve_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
