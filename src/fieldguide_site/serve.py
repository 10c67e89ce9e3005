"""Serve the built site on 127.0.0.1, optionally under a sub-path like GitHub Pages does.

    python -m fieldguide_site.serve site --port 8000 [--base /fieldguide/]

Python's http.server with the MIME types Pyodide needs (application/wasm, so the browser can
compile WebAssembly while it downloads) and no caching surprises. Used by `make serve` and by the
browser tests, which serve under a sub-path to prove the site works as a project page.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import threading
from pathlib import Path

TYPES = {".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
         ".json": "application/json", ".whl": "application/zip", ".zip": "application/zip",
         ".tiktoken": "text/plain", ".ipynb": "application/x-ipynb+json", ".py": "text/x-python"}


class Handler(http.server.SimpleHTTPRequestHandler):
    base = "/"
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def translate_path(self, path):
        if not path.startswith(self.base):
            return str(Path(self.directory) / "__outside_base__")
        return super().translate_path("/" + path[len(self.base):])

    def do_GET(self):
        if self.path.split("?")[0].endswith("/sitemap.xml") and self.path.startswith(self.base):
            return self.sitemap()
        return super().do_GET()

    def sitemap(self):
        """The sitemap, re-rooted at this server: Material's instant navigation only takes over
        links the sitemap lists, comparing scheme, host *and port*, so the site_url baked in at
        build time (the Pages address) would otherwise turn every local click into a reload."""
        path = Path(self.translate_path(self.path.split("?")[0]))
        if not path.is_file():
            return self.send_error(404)
        xml = path.read_text(encoding="utf-8")
        locs = re.findall(r"<loc>(.*?)</loc>", xml)
        if locs:
            root = min(locs, key=len)
            here = f"http://{self.headers.get('Host', '127.0.0.1')}{self.base}"
            xml = xml.replace(f"<loc>{root}", f"<loc>{here}")
        body = xml.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):  # quiet: tests and readers do not need a line per file
        pass


def make_server(directory: str | Path, port: int = 8000, base: str = "/") -> http.server.ThreadingHTTPServer:
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    handler = functools.partial(type("H", (Handler,), {"base": base}), directory=str(directory))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_in_thread(directory, port=0, base="/"):
    """Start a server in a daemon thread; returns (server, root_url)."""
    srv = make_server(directory, port, base)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    b = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    return srv, f"http://127.0.0.1:{srv.server_address[1]}{b}"


def main() -> None:
    ap = argparse.ArgumentParser(description="serve the built fieldguide site")
    ap.add_argument("directory", nargs="?", default="site")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--base", default="/")
    a = ap.parse_args()
    srv = make_server(a.directory, a.port, a.base)
    print(f"Serving {a.directory} on http://127.0.0.1:{a.port}{a.base}  (Ctrl-C to stop)", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
