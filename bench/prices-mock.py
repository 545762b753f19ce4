#!/usr/bin/env python3
"""A local stand-in for the price providers, for bench/prices-requests.sh:
Coinbase Exchange candles under /cb, Binance klines under /bn, Frankfurter
time series under /fx, in their real formats, with made-up prices. It listens
on 127.0.0.1 only, counts the requests, and prints each request line on
stdout.

  python3 bench/prices-mock.py PORT
"""
import datetime
import http.server
import json
import sys
import urllib.parse


def iso(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        print(self.path, flush=True)
        if u.path.startswith("/cb/products/"):
            g = int(q["granularity"])
            s, e = iso(q["start"]), iso(q["end"])
            body = [[t, 1, 3, 2, 2.5, 10] for t in range(e, s - 1, -g)]
            return self.reply(200, body)
        if u.path == "/bn/api/v3/klines":
            return self.reply(400, {"code": -1121, "msg": "Invalid symbol."})
        if u.path.startswith("/fx/"):
            a, b = u.path[4:].split("..")
            d = datetime.date.fromisoformat(a)
            end = datetime.date.fromisoformat(b)
            rates = {}
            while d <= end:
                if d.weekday() < 5:
                    rates[d.isoformat()] = {"USD": 1.1}
                d += datetime.timedelta(days=1)
            return self.reply(200, {"amount": 1.0, "base": q["base"], "start_date": a, "end_date": b, "rates": rates})
        return self.reply(404, {"message": "NotFound"})

    def reply(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
