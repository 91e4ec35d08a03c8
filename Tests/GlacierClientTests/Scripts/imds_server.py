"""A loopback stand-in for the EC2 instance metadata service, IMDSv2 only.

Usage: imds_server.py ROLE ACCESS_KEY SECRET TOKEN EXPIRATION
Prints the port it listens on. Every GET must carry the session token handed out by
PUT /latest/api/token, or it answers 401, as IMDSv2 does.
"""
import http.server, json, secrets, sys

role, access_key, secret, session_token, expiration = sys.argv[1:6]
issued = set()
log = []

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        log.append("PUT " + self.path)
        if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400)
        token = secrets.token_hex(16)
        issued.add(token)
        self.reply(200, token.encode())

    def do_GET(self):
        log.append("GET " + self.path)
        if self.headers.get("X-aws-ec2-metadata-token") not in issued:
            return self.reply(401)
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.reply(200, (role + "\n").encode())
        if self.path == base + role:
            doc = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": access_key, "SecretAccessKey": secret,
                   "Token": session_token, "Expiration": expiration, "LastUpdated": "2026-11-21T00:00:00Z"}
            return self.reply(200, json.dumps(doc).encode())
        if self.path == "/log":
            return self.reply(200, "\n".join(log).encode())
        self.reply(404)

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
