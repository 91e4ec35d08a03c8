#!/usr/bin/env python3
"""Throughput of a running glacier-emulator (started without keys): uploads one archive, starts a
whole-archive job, then downloads REQUESTS random ranges of 1-16 MiB over 8 parallel connections
with curl, and checks every answer was a 206 of the right size.

usage: throughput.py ENDPOINT [SIZE_MIB=1024] [REQUESTS=600] [CURL_PROCESSES=1]

CURL_PROCESSES > 1 splits the 8 connections over several curl processes, so that on a small
machine the client is not the bottleneck. Needs curl and botocore (for the tree hash).
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

from botocore.utils import calculate_tree_hash

base = sys.argv[1]
size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 600
processes = int(sys.argv[4]) if len(sys.argv) > 4 else 1
work = tempfile.mkdtemp(prefix="emulator-throughput-")
path = os.path.join(work, "archive.bin")
subprocess.run(["dd", "if=/dev/urandom", f"of={path}", "bs=1M", f"count={size_mib}", "status=none"], check=True)
VERSION = {"x-amz-glacier-version": "2012-06-01"}


def call(method, url, body=None):
    request = urllib.request.Request(base + url, data=body, method=method, headers=VERSION)
    with urllib.request.urlopen(request) as response:
        return dict(response.headers)


call("PUT", "/-/vaults/throughput")
with open(path, "rb") as f:
    tree = calculate_tree_hash(f)
upload = subprocess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", "-X", "POST", "-T", path,
                         "-H", "x-amz-glacier-version: 2012-06-01", "-H", f"x-amz-sha256-tree-hash: {tree}",
                         "-H", "Expect:", base + "/-/vaults/throughput/archives"],
                        capture_output=True, text=True, check=True).stdout
archive = [l.split(":", 1)[1].strip() for l in upload.splitlines() if l.lower().startswith("x-amz-archive-id")][0]
os.unlink(path)
job = call("POST", "/-/vaults/throughput/jobs",
           json.dumps({"Type": "archive-retrieval", "ArchiveId": archive}).encode())["x-amz-job-id"]

rng = random.Random(7)
size = size_mib << 20
blocks = [[] for _ in range(processes)]
total = 0
for i in range(requests):
    n = rng.randint(1, 16) << 20
    start = rng.randrange(0, size - n + 1)
    total += n
    blocks[i % processes].append(
        f'url = "{base}/-/vaults/throughput/jobs/{job}/output"\nrange = {start}-{start + n - 1}\n'
        f'output = "/dev/null"\nheader = "x-amz-glacier-version: 2012-06-01"\nfail\nsilent\nshow-error\n'
        f'write-out = "%{{http_code}} %{{size_download}}\\n"\n')
configs = []
for i, b in enumerate(blocks):
    configs.append(os.path.join(work, f"curl-{i}.cfg"))
    with open(configs[-1], "w") as f:
        f.write("next\n".join(b))

t0 = time.monotonic()
running = [subprocess.Popen(["curl", "-sS", "--no-progress-meter", "-Z", "--parallel-max", str(8 // processes),
                             "-K", c], stdout=subprocess.PIPE, text=True) for c in configs]
outputs = [p.communicate()[0].split() for p in running]
elapsed = time.monotonic() - t0
codes = [c for out in outputs for c in out[0::2]]
got = sum(int(n) for out in outputs for n in out[1::2])
assert codes == ["206"] * requests, "not every request succeeded"
assert got == total, f"downloaded {got} bytes, expected {total}"
print(f"{requests} ranged GetJobOutput requests of 1-16 MiB over 8 connections: "
      f"{total / 1e9:.2f} GB in {elapsed:.2f} s = {total / elapsed / 1e9:.2f} GB/s")
