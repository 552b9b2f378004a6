"""A real SMTP server for the test suite (aiosmtpd), speaking SMTP over TCP: plain, STARTTLS
(required) or implicit TLS. Every accepted message is written as one .eml file into --out.

    python3 tests/smtp/server.py --port 2525 --out /tmp/mail [--tls starttls|implicit --cert C --key K]
        [--delay 0.1] [--reject-first N]
"""
import argparse
import asyncio
import os
import ssl
import time
import uuid

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out, delay, reject_first):
        self.out = out
        self.delay = delay
        self.reject_left = reject_first

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reject_left > 0:
            self.reject_left -= 1
            return "451 Try again later"
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        partial = os.path.join(self.out, "." + name + ".part")
        with open(partial, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(self.out, name))
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--reject-first", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    handler = Handler(args.out, args.delay, args.reject_first)
    kwargs = {"hostname": "127.0.0.1", "port": args.port}
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            kwargs.update(ssl_context=context)
    controller = Controller(handler, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
