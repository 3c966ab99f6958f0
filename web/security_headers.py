"""Headers every answer carries so that a page cannot be turned against its own users
(OWASP ASVS 14.4): a catalogued title or member's name that slipped past escaping runs no
script on a page, nothing is framed by another site (clickjacking of "sign in" or "import roster"),
a file is never sniffed into HTML, and a station token in a URL is never sent to others.

The policy allows what the pages use and nothing more: scripts and styles from /static
only (the JSON data blocks of the builder are not scripts), media and hls.js's workers
from this server and blob: URLs (Media Source Extensions feed <video> through a blob:).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "media-src 'self' blob:", "worker-src 'self' blob:", "connect-src 'self'",
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'self'",
))
# The policy is for pages: on a PDF it would also govern Chromium's built-in viewer
# (object-src 'none' stops it), and media and JSON run no script anyway.
PAGE_ONLY = (b"content-security-policy", POLICY.encode())
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    # The watch page frames the server's own PDFs; no other site may frame anything.
    (b"x-frame-options", b"SAMEORIGIN"),
    # Same-origin pages keep the referrer (the login's ?next= needs none); other sites and
    # plain-HTTP downgrades get nothing, so no ?station_token= leaves through a link.
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = list(HEADERS)
                if dict(headers).get(b"content-type", b"").startswith(b"text/html"):
                    added.append(PAGE_ONLY)
                headers += [(n, v) for n, v in added if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
