#!/usr/bin/env python3
"""Drives a running glacier-emulator with boto3 and checks every answer against botocore's own
tree hash. Prints a JSON report {"checks": N, "failures": [...]} and exits 1 on any failure.

usage: boto3_interop.py ENDPOINT ACCESS_KEY SECRET_KEY REGION
"""
import io
import json
import random
import sys
import time

import boto3
from botocore.utils import calculate_tree_hash

MIB = 1 << 20
endpoint, access_key, secret_key, region = sys.argv[1:5]
glacier = boto3.client("glacier", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
                       aws_secret_access_key=secret_key)
checks = 0
failures = []


def check(name, condition, detail=""):
    global checks
    checks += 1
    if not condition:
        failures.append(f"{name}: {detail}")


def tree_hash(data):
    return calculate_tree_hash(io.BytesIO(data))


def wait(vault, job_id):
    for _ in range(200):
        job = glacier.describe_job(vaultName=vault, jobId=job_id)
        if job["Completed"]:
            return job
        time.sleep(0.05)
    raise RuntimeError(f"job {job_id} did not complete")


def download(vault, job_id, first=None, last=None):
    kwargs = {"range": f"bytes={first}-{last}"} if first is not None else {}
    response = glacier.get_job_output(vaultName=vault, jobId=job_id, **kwargs)
    return response, response["body"].read()


vault = "boto3-vault"
glacier.create_vault(vaultName=vault)
rng = random.Random(42)
single = rng.randbytes(6 * MIB + MIB // 2)              # 6.5 MiB, one request
multi = rng.randbytes(2 * MIB + 12345)                  # three 1 MiB parts, the last one short

# UploadArchive
uploaded = glacier.upload_archive(vaultName=vault, body=single, archiveDescription="single part")
check("upload checksum", uploaded["checksum"] == tree_hash(single), uploaded["checksum"])
single_id = uploaded["archiveId"]
check("archive id shape", len(single_id) == 138, single_id)

# Multipart upload
upload_id = glacier.initiate_multipart_upload(vaultName=vault, partSize=str(MIB),
                                              archiveDescription="multipart")["uploadId"]
for start in range(0, len(multi), MIB):
    part = multi[start:start + MIB]
    answer = glacier.upload_multipart_part(vaultName=vault, uploadId=upload_id,
                                           range=f"bytes {start}-{start + len(part) - 1}/*", body=part)
    check(f"part {start} checksum", answer["checksum"] == tree_hash(part))
paged_parts = [p["RangeInBytes"] for page in glacier.get_paginator("list_parts").paginate(
    vaultName=vault, uploadId=upload_id, limit="1") for p in page["Parts"]]
check("list parts pages", len(paged_parts) == 3, paged_parts)
parts = glacier.list_parts(vaultName=vault, uploadId=upload_id)
check("list parts", [p["RangeInBytes"] for p in parts["Parts"]] ==
      ["0-1048575", "1048576-2097151", f"2097152-{len(multi) - 1}"], parts["Parts"])
uploads = glacier.list_multipart_uploads(vaultName=vault)["UploadsList"]
check("list uploads", [u["MultipartUploadId"] for u in uploads] == [upload_id], uploads)
completed = glacier.complete_multipart_upload(vaultName=vault, uploadId=upload_id, archiveSize=str(len(multi)),
                                              checksum=tree_hash(multi))
check("multipart checksum", completed["checksum"] == tree_hash(multi))
multi_id = completed["archiveId"]

described = glacier.describe_vault(vaultName=vault)
check("vault counts", described["NumberOfArchives"] == 2 and described["SizeInBytes"] == len(single) + len(multi),
      described)

# Jobs
def archive_job(archive_id, byte_range=None):
    params = {"Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Bulk"}
    if byte_range:
        params["RetrievalByteRange"] = byte_range
    return glacier.initiate_job(vaultName=vault, jobParameters=params)["jobId"]

whole = archive_job(single_id)
aligned = archive_job(single_id, f"{2 * MIB}-{4 * MIB - 1}")        # [2, 4) MiB: one tree node
unaligned = archive_job(single_id, f"{1 * MIB}-{3 * MIB - 1}")      # [1, 3) MiB: not a node
tail = archive_job(single_id, f"{4 * MIB}-{len(single) - 1}")        # [4, 6.5) MiB: the last node
multi_job = archive_job(multi_id)
inventory_json = glacier.initiate_job(vaultName=vault, jobParameters={"Type": "inventory-retrieval"})["jobId"]
inventory_csv = glacier.initiate_job(vaultName=vault,
                                     jobParameters={"Type": "inventory-retrieval", "Format": "CSV"})["jobId"]

job = wait(vault, whole)
check("whole job", job["StatusCode"] == "Succeeded" and job["ArchiveSizeInBytes"] == len(single)
      and job["SHA256TreeHash"] == tree_hash(single) and job["ArchiveSHA256TreeHash"] == tree_hash(single)
      and job["RetrievalByteRange"] == f"0-{len(single) - 1}" and job["Tier"] == "Bulk", job)
job = wait(vault, aligned)
check("aligned job", job["SHA256TreeHash"] == tree_hash(single[2 * MIB:4 * MIB])
      and job["ArchiveSizeInBytes"] == len(single) and job["RetrievalByteRange"] == f"{2 * MIB}-{4 * MIB - 1}", job)
job = wait(vault, unaligned)
check("unaligned job has no tree hash", job.get("SHA256TreeHash") is None
      and job["ArchiveSHA256TreeHash"] == tree_hash(single), job)
job = wait(vault, tail)
check("tail job", job["SHA256TreeHash"] == tree_hash(single[4 * MIB:]), job)
wait(vault, multi_job)

# Whole outputs
response, body = download(vault, whole)
check("whole output bytes", body == single)
check("whole output checksum", response.get("checksum") == tree_hash(body), response.get("checksum"))
check("whole output status", response["status"] == 200 and response["contentType"] == "application/octet-stream"
      and response["acceptRanges"] == "bytes" and response["archiveDescription"] == "single part", response)
response, body = download(vault, multi_job)
check("multipart output", body == multi and response.get("checksum") == tree_hash(multi))

# Ranged downloads of the 6.5 MiB output: the checksum comes exactly for tree nodes.
for first, last, expect in [(2 * MIB, 4 * MIB - 1, True), (3 * MIB, 5 * MIB - 1, False),
                            (4 * MIB, len(single) - 1, True), (0, MIB - 1, True), (6 * MIB, len(single) - 1, True),
                            (MIB, 2 * MIB, False), (0, 4 * MIB - 1, True), (0, 10, False)]:
    response, body = download(vault, whole, first, last)
    name = f"range {first}-{last}"
    check(name + " bytes", body == single[first:last + 1])
    check(name + " status", response["status"] == 206
          and response["contentRange"] == f"bytes {first}-{last}/{len(single)}", response.get("contentRange"))
    check(name + " checksum presence", ("checksum" in response) == expect, response.get("checksum"))
    if expect:
        check(name + " checksum value", response["checksum"] == tree_hash(body))

# Ranged jobs: the download range counts from the start of the retrieved bytes.
response, body = download(vault, aligned)
check("aligned job output", body == single[2 * MIB:4 * MIB] and response.get("checksum") == tree_hash(body))
response, body = download(vault, aligned, MIB, 2 * MIB - 1)
check("aligned job sub-range", body == single[3 * MIB:4 * MIB] and response.get("checksum") == tree_hash(body)
      and response["contentRange"] == f"bytes {MIB}-{2 * MIB - 1}/{2 * MIB}", response)
response, body = download(vault, unaligned)
check("unaligned job output", body == single[MIB:3 * MIB] and "checksum" not in response, response)
response, body = download(vault, unaligned, 0, MIB - 1)
check("unaligned job never has a checksum", body == single[MIB:2 * MIB] and "checksum" not in response, response)
response, body = download(vault, tail, 2 * MIB, len(single) - 4 * MIB - 1)
check("tail job short last leaf", body == single[6 * MIB:] and response.get("checksum") == tree_hash(body), response)

# Inventories
job = wait(vault, inventory_json)
response, body = download(vault, inventory_json)
inventory = json.loads(body)
check("inventory json", response["contentType"] == "application/json" and "checksum" not in response
      and job["InventorySizeInBytes"] == len(body), response)
by_id = {a["ArchiveId"]: a for a in inventory["ArchiveList"]}
check("inventory json archives", set(by_id) == {single_id, multi_id}
      and by_id[single_id]["Size"] == len(single) and by_id[multi_id]["SHA256TreeHash"] == tree_hash(multi)
      and by_id[multi_id]["ArchiveDescription"] == "multipart"
      and inventory["VaultARN"].endswith(":vaults/" + vault), inventory)
wait(vault, inventory_csv)
response, body = download(vault, inventory_csv)
lines = body.decode().strip().split("\n")
check("inventory csv", response["contentType"] == "text/csv" and "checksum" not in response
      and lines[0] == "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash" and len(lines) == 3, lines)

# Listing with the paginator
listed = [j["JobId"] for page in glacier.get_paginator("list_jobs").paginate(vaultName=vault, limit="2")
          for j in page["JobList"]]
check("list jobs", listed == [whole, aligned, unaligned, tail, multi_job, inventory_json, inventory_csv], listed)
succeeded = glacier.list_jobs(vaultName=vault, statuscode="Succeeded")["JobList"]
check("list jobs filter", len(succeeded) == 7, len(succeeded))

# Errors come back as botocore ClientErrors with the service's codes.
try:
    glacier.initiate_job(vaultName=vault, jobParameters={"Type": "archive-retrieval", "ArchiveId": single_id,
                                                         "RetrievalByteRange": "1-2"})
    check("bad range refused", False, "no error")
except glacier.exceptions.InvalidParameterValueException:
    check("bad range refused", True)
try:
    glacier.describe_job(vaultName=vault, jobId="no-such-job")
    check("unknown job", False, "no error")
except glacier.exceptions.ResourceNotFoundException:
    check("unknown job", True)

glacier.delete_archive(vaultName=vault, archiveId=multi_id)
check("delete archive", glacier.describe_vault(vaultName=vault)["NumberOfArchives"] == 1)
response, body = download(vault, multi_job)
check("deleted archive still served to its succeeded job", body == multi)

# ListVaults pages in name order (at most 10 per page).
for i in range(11):
    glacier.create_vault(vaultName=f"page-{i:02d}")
names = [v["VaultName"] for page in glacier.get_paginator("list_vaults").paginate(limit="4") for v in page["VaultList"]]
check("list vaults pages", names == sorted(names) and len(names) == 12 and vault in names, names)
try:
    glacier.list_vaults(limit="11")
    check("list vaults limit", False, "no error")
except glacier.exceptions.InvalidParameterValueException:
    check("list vaults limit", True)

print(json.dumps({"checks": checks, "failures": failures}))
sys.exit(1 if failures else 0)
