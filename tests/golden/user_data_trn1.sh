#!/bin/bash
# graviton-llm boot script for trn1.32xlarge (neuron-nxdi). Do not edit: change the stack's args.
set -euo pipefail
# GRAVITON_LLM_ROOT prefixes every path so tests can run this script in a sandbox.
readonly ROOT="${GRAVITON_LLM_ROOT:-}"
readonly JOB=boot
readonly WEIGHTS_URI=s3://team-weights/llama-3.1-8b-instruct/
readonly WEIGHTS_BUCKET=team-weights
readonly WEIGHTS_PREFIX=llama-3.1-8b-instruct/
readonly MODEL_ID=meta-llama/Llama-3.1-8B-Instruct
readonly PROBE_BODY='{"model": "meta-llama/Llama-3.1-8B-Instruct", "prompt": "ping", "max_tokens": 1}'
readonly IMAGE=public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.13.0-neuronx-py312-sdk2.28.0-ubuntu24.04
readonly PORT=8000
readonly DEPLOY_REGION=''
readonly API_KEY_PARAMETER=''
readonly API_KEY_FILE=/run/graviton-llm/api-key
readonly AWS_ENV_FILE=/opt/graviton-llm/etc/aws.env
readonly AWS_CLI_CONFIG=/opt/graviton-llm/etc/aws-cli.conf
readonly S3_TARGET_GBPS=800
readonly MODEL_DIR=/opt/graviton-llm/model
readonly COMPLETE_MARKER_NAME=.graviton-llm-complete
readonly MODEL_STORE=/opt/graviton-llm/bin/model-store
readonly WEIGHTS_LISTING=/opt/graviton-llm/etc/weights-listing.json
readonly ARTIFACTS_DIR=/opt/graviton-llm/compiled
readonly VLLM_UNIT=graviton-llm-vllm.service
readonly READY_TIMEOUT_SECONDS=1200

write_node_files() {
install_file /opt/graviton-llm/bin/run-vllm 0755 <<'GRAVITON_LLM_FILE'
#!/bin/bash
# Runs the vLLM container in the foreground for systemd (rendered by graviton-llm).
set -euo pipefail
docker rm -f graviton-llm-vllm >/dev/null 2>&1 || true
exec docker run \
  --rm \
  --name graviton-llm-vllm \
  --log-driver journald \
  -p 8000:8000 \
  -v /opt/graviton-llm/model:/models/model:ro \
  --ulimit nofile=1048576:1048576 \
  --device=/dev/neuron0 \
  --device=/dev/neuron1 \
  --device=/dev/neuron2 \
  --device=/dev/neuron3 \
  --device=/dev/neuron4 \
  --device=/dev/neuron5 \
  --device=/dev/neuron6 \
  --device=/dev/neuron7 \
  --device=/dev/neuron8 \
  --device=/dev/neuron9 \
  --device=/dev/neuron10 \
  --device=/dev/neuron11 \
  --device=/dev/neuron12 \
  --device=/dev/neuron13 \
  --device=/dev/neuron14 \
  --device=/dev/neuron15 \
  --cap-add SYS_ADMIN \
  --cap-add IPC_LOCK \
  -v /opt/graviton-llm/compiled:/compiled \
  --env=NEURON_COMPILED_ARTIFACTS=/compiled/active \
  --env=VLLM_NEURON_FRAMEWORK=neuronx-distributed-inference \
  --entrypoint vllm \
  public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.13.0-neuronx-py312-sdk2.28.0-ubuntu24.04 serve /models/model \
  --served-model-name meta-llama/Llama-3.1-8B-Instruct \
  --dtype bfloat16 \
  --tensor-parallel-size 32 \
  --max-model-len 4096 \
  --max-num-seqs 8 \
  --max-num-batched-tokens 4096 \
  --port 8000 \
  --no-enable-prefix-caching \
  --block-size 32 \
  --num-gpu-blocks-override 8
GRAVITON_LLM_FILE
install_file /opt/graviton-llm/bin/model-store 0755 <<'GRAVITON_LLM_FILE'
#!/usr/bin/python3
# graviton_llm/node/model_store_weights.py, model_store.py (documented there)
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from typing import Any
_SEGMENT = re.compile(r"[A-Za-z0-9_+=@-][A-Za-z0-9._+=@-]*")
MAX_JSON_BYTES = 64 * 2**20
MAX_DEPTH = 16
def log(message):
    print(f"graviton-llm: {message}", file=sys.stderr, flush=True)
def on_node(path):
    return os.environ.get("GRAVITON_LLM_ROOT", "") + path
def safe_path(path):
    return ( isinstance(path, str) and len(path) <= 512 and all(_SEGMENT.fullmatch(part) for part in path.split("/")) )
def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as out:
        json.dump(value, out, indent=1, sort_keys=True)
    os.replace(out.name, path)
def open_regular(path, dir_fd= None):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{path} is not a regular file")
    return fd
def read_file(path, limit):
    with os.fdopen(open_regular(path), "rb") as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"over {limit} bytes")
    return data
def parse_json(text):
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    todo = [(value, 1)]
    while todo:
        item, level = todo.pop()
        if level > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            todo += [(inner, level + 1) for inner in item]
    return value
def read_json(path):
    try:
        return parse_json(read_file(path, MAX_JSON_BYTES))
    except (OSError, ValueError):
        return None
def clear(path):
    try:
        directory = stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False
    shutil.rmtree(path) if directory else os.unlink(path)
    return True
def is_dir(path):
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False
def sha256_of(fd):
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: os.read(fd, 8 * 2**20), b""):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size
def listing_files(listing, prefix):
    data = parse_json(read_file(listing, MAX_JSON_BYTES))
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ValueError("the listing is not a list")
    files = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            raise ValueError(f"unexpected listing entry {item!r}")
        key, size, etag = item
        if key.endswith("/"):
            continue
        relative = key[len(prefix) :]
        if not key.startswith(prefix) or not safe_path(relative):
            raise ValueError(f"the key {key!r} is not a plain file path under the prefix")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{key!r} has no size")
        files.append([relative, size, etag])
    return sorted(files)
def weights_digest(files):
    text = json.dumps(files, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
def weights_check(config, listing):
    uri = config["weights_uri"]
    try:
        files = listing_files(listing, config["weights_prefix"])
    except (OSError, ValueError) as error:
        log(f"cannot read the listing of {uri}: {error}")
        return 1
    if not files:
        log( f"no objects under {uri}: upload the model directory (config.json, *.safetensors, " "tokenizer) there first" )
        return 1
    if "config.json" not in {path for path, _, _ in files}:
        log(f"no config.json directly under {uri}: not a Hugging Face model directory")
        return 1
    print(len(files), sum(size for _, size, _ in files))
    return 0
def weights_verify(config, listing):
    try:
        files = listing_files(listing, config["weights_prefix"])
    except (OSError, ValueError) as error:
        log(f"cannot read the listing of {config['weights_uri']}: {error}")
        return 1
    model = on_node(config["model_dir"])
    found = {}
    for directory, _, names in os.walk(model):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, model)
            if relative != config["complete_marker"]:
                found[relative] = os.path.getsize(path)
    expected = {path: size for path, size, _ in files}
    if found != expected:
        wrong = sorted(p for p in expected if found.get(p) != expected[p])
        log( f"weights incomplete: expected {len(expected)} {sum(expected.values())} (files " f"bytes) from {config['weights_uri']}, found {len(found)} {sum(found.values())}; " f"missing or short: {', '.join(wrong[:3]) or 'none'}" )
        return 1
    identity = {"uri": config["weights_uri"], "digest": weights_digest(files), "files": len(files)}
    write_json(on_node(config["identity_file"]), identity)
    return 0

import argparse
import subprocess
import time
import urllib.request
from typing import Any
CONFIG = "/opt/graviton-llm/etc/model-store.json"
FORMAT = "graviton-llm-artifacts/1"
MAX_MANIFEST_BYTES = 4 * 2**20
MAX_FILES = 10_000
_SHA256 = re.compile(r"[0-9a-f]{64}")
def aws(*args):
    return subprocess.run(["aws", *args], capture_output=True, text=True, check=False)
def missing(result):
    return any(w in result.stderr for w in ("NoSuchKey", "Not Found", "(404)"))
class Key:
    def __init__(self, config):
        identity = read_json(on_node(config["identity_file"]))
        digest = identity.get("digest") if isinstance(identity, dict) else None
        self.known = isinstance(digest, str) and bool(re.fullmatch(r"[0-9a-f]{16}", digest))
        self.name = f"{config['static_key']}-{digest if self.known else 'unverified'}"
        base = on_node(config["artifacts_dir"])
        self.base, self.directory = base, os.path.join(base, self.name)
        self.state = self.directory + ".json"
        self.cache = config["cache"] if self.known else None
        if self.cache:
            self.bucket = self.cache["bucket"]
            self.entry = f"{self.cache['prefix']}{digest}/"
            self.where = f"s3://{self.bucket}/{self.entry}"
    def point_active(self, link):
        temporary, active = os.path.join(self.base, f".{link}.new"), os.path.join(self.base, link)
        clear(temporary)
        if not os.path.islink(active):
            clear(active)
        os.symlink(self.name, temporary)
        os.replace(temporary, active)
    def staging(self, use):
        path = os.path.join(os.path.dirname(self.base), f".model-store-{use}")
        clear(path)
        os.mkdir(path, 0o700)
        return path
def parse_manifest(text, key):
    data = parse_json(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} manifest")
    if data.get("key") != key:
        raise ValueError(f"it is for key {data.get('key')!r}, not {key}")
    files = data.get("files")
    if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES:
        raise ValueError("no file list")
    paths = set()
    for entry in files:
        if not isinstance(entry, dict) or not safe_path(entry.get("path")):
            raise ValueError(f"unsafe or missing path in {entry!r}")
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{entry['path']}: no size")
        if not isinstance(entry.get("sha256"), str) or not _SHA256.fullmatch(entry["sha256"]):
            raise ValueError(f"{entry['path']}: no SHA-256")
        paths.add(entry["path"])
    ancestors = {p[:i] for p in paths for i, c in enumerate(p) if c == "/"}
    if len(paths) < len(files) or paths & ancestors:
        raise ValueError("a path is listed twice, or both as a file and a directory")
    return files
def fetch(key):
    staging = key.staging("fetch")
    try:
        return fetch_into(key, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
def fetch_into(key, staging):
    manifest_file = os.path.join(staging, "manifest.json")
    result = aws( "s3api", "get-object", "--bucket", key.bucket, "--key", key.entry + "manifest.json", manifest_file, )
    if result.returncode != 0:
        if missing(result):
            return f"no set for key {key.name} in the cache yet ({key.where})"
        return f"the cache is unreachable: {result.stderr.strip()[-300:]}"
    try:
        files = parse_manifest(read_file(manifest_file, MAX_MANIFEST_BYTES), key.name)
    except (OSError, ValueError) as error:
        return f"corrupt manifest {key.where}manifest.json ({error})"
    blobs, tree = os.path.join(staging, "blobs"), os.path.join(staging, "tree")
    includes = [word for f in files for word in ("--include", f["sha256"])]
    result = aws( "s3", "cp", "--recursive", "--only-show-errors", f"{key.where}blobs/", blobs, "--exclude", "*", *includes, )
    if result.returncode != 0:
        return f"download from {key.where} failed: {result.stderr.strip()[-300:]}"
    placed: dict[str, str] = {}
    for entry in files:
        blob, target = os.path.join(blobs, entry["sha256"]), os.path.join(tree, entry["path"])
        source = placed.get(entry["sha256"], blob)
        try:
            with os.fdopen(open_regular(source), "rb") as blob_file:
                digest, size = sha256_of(blob_file.fileno())
        except FileNotFoundError:
            return f"{entry['path']} is missing from the cache ({key.where})"
        if size != entry["size"]:
            return f"{entry['path']}: {size} bytes, the manifest says {entry['size']}"
        if digest != entry["sha256"]:
            return f"{entry['path']}: SHA-256 mismatch (the cached file is not what was published)"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if entry["sha256"] in placed:
            shutil.copyfile(source, target)
        else:
            os.rename(blob, target)
            placed[entry["sha256"]] = target
    os.makedirs(tree, exist_ok=True)
    os.rename(tree, key.directory)
    write_json(key.state, {"key": key.name, "source": "cache", "files": files})
    return None
def complete(key, state):
    return ( isinstance(state, dict) and state.get("key") == key.name and state.get("source") in ("cache", "compiled") and is_dir(key.directory) )
def prepare(config):
    key = Key(config)
    os.makedirs(key.base, exist_ok=True)
    state = read_json(key.state)
    if isinstance(state, dict) and complete(key, state):
        log(f"compiled artifacts for key {key.name} are on this node ({state['source']})")
    else:
        clear(key.state)
        if clear(key.directory):
            log(f"removed unfinished artifacts of key {key.name}; they are never loaded")
        if not key.known:
            log("no weights identity on this node: the artifact cache is skipped")
        elif key.cache:
            try:
                problem = fetch(key)
            except Exception as error:
                problem = f"cannot place the set of {key.where} ({type(error).__name__}: {error})"
            if problem is None:
                log(f"artifact cache hit: key {key.name} downloaded and verified from {key.where}")
            else:
                log(f"artifact cache: {problem}; vLLM compiles instead")
        if not complete(key, read_json(key.state)):
            clear(key.directory)
            os.mkdir(key.directory)
    key.point_active(config["active"])
    return 0
def serving(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError):
        return False
def stage(directory, staging, prefix= ""):
    files = []
    for name in sorted(os.listdir(directory)):
        path = prefix + name
        mode = os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode
        if not (safe_path(path) and (stat.S_ISDIR(mode) or stat.S_ISREG(mode))):
            raise ValueError(f"{path!r} is not a plain directory or regular file")
        if stat.S_ISDIR(mode):
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
            files += stage(inner, staging, path + "/")
            os.close(inner)
            continue
        with os.fdopen(open_regular(name, directory), "rb") as source:
            digest, size = sha256_of(source.fileno())
            opened, blob = f"/proc/self/fd/{source.fileno()}", os.path.join(staging, digest)
            if not os.path.lexists(blob):
                try:
                    os.link(opened, blob)
                except OSError:
                    shutil.copyfile(opened, blob)
        files.append({"path": path, "size": size, "sha256": digest})
    return files
def put_manifest(key, manifest_file):
    for attempt in range(4):
        result = aws( "s3api", "put-object", "--bucket", key.bucket, "--key", key.entry + "manifest.json", "--body", manifest_file, "--content-type", "application/json", "--if-none-match", "*", )
        if result.returncode == 0:
            return "won"
        if "PreconditionFailed" in result.stderr or "(412)" in result.stderr:
            return "lost"
        if "ConditionalRequestConflict" not in result.stderr:
            return str(result.stderr).strip()[-300:]
        time.sleep(float(os.environ.get("GRAVITON_LLM_BACKOFF_SECONDS", "5")) * (attempt + 1))
    return "409 ConditionalRequestConflict four times"
def publish(config):
    key = Key(config)
    state = read_json(key.state)
    if isinstance(state, dict) and complete(key, state):
        if state["source"] == "cache" or state.get("published"):
            return 0
    elif not (is_dir(key.directory) and os.listdir(key.directory)):
        log(f"no compiled artifacts for key {key.name} to publish")
        return 0
    elif not serving(config["port"]):
        log(f"vLLM does not serve: the artifacts of key {key.name} are not published")
        return 1
    record = {"key": key.name, "source": "compiled", "published": False}
    write_json(key.state, record)
    if not key.cache:
        return 0
    head = aws("s3api", "head-object", "--bucket", key.bucket, "--key", key.entry + "manifest.json")
    if head.returncode == 0:
        log(f"key {key.name} is already in the cache ({key.where}); this node keeps its own set")
        write_json(key.state, {**record, "published": "by another node"})
        return 0
    if not missing(head):
        log(f"cannot publish to {key.where}: {head.stderr.strip()[-300:]}")
        return 1
    staging = key.staging("publish")
    try:
        os.mkdir(os.path.join(staging, "blobs"))
        directory = os.open(key.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            files = stage(directory, os.path.join(staging, "blobs"))
        finally:
            os.close(directory)
        outcome = upload(key, files, staging, config.get("key_inputs"))
    except (OSError, ValueError) as error:
        outcome = f"the set cannot be published as it is: {error}"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if outcome not in ("won", "lost"):
        log(f"publishing key {key.name} to {key.where} failed: {outcome}")
        return 1
    if outcome == "lost":
        log(f"another node published key {key.name} first; its set stands ({key.where})")
    else:
        log(f"published key {key.name}: {len(files)} files to {key.where}")
    by = "this node" if outcome == "won" else "another node"
    write_json(key.state, {**record, "published": f"by {by}"})
    return 0
def upload(key, files, staging, inputs):
    if not 0 < len(files) <= MAX_FILES:
        return f"{len(files)} files; a set holds 1 to {MAX_FILES}"
    blobs = os.path.join(staging, "blobs")
    result = aws( "s3", "cp", "--recursive", "--only-show-errors", "--no-follow-symlinks", blobs, f"{key.where}blobs/", )
    if result.returncode != 0:
        return f"upload: {result.stderr.strip()[-300:]}"
    manifest = { "format": FORMAT, "key": key.name, "files": sorted(files, key=lambda f: f["path"]), "bytes": sum(f["size"] for f in files), "inputs": inputs, }
    manifest_file = os.path.join(staging, "manifest.json")
    write_json(manifest_file, manifest)
    return put_manifest(key, manifest_file)
def status(config):
    key = Key(config)
    state = read_json(key.state)
    if not (isinstance(state, dict) and complete(key, state)):
        return 1
    print(f"key {key.name}: complete ({state['source']})")
    return 0
def main(argv= None):
    parser = argparse.ArgumentParser(prog="model-store")
    parser.add_argument("--config", default=CONFIG)
    parser.add_argument( "command", choices=["weights-check", "weights-verify", "prepare", "publish", "status"] )
    parser.add_argument("listing", nargs="?")
    args = parser.parse_args(argv)
    with open(on_node(args.config)) as source:
        config = json.load(source)
    if args.command in ("weights-check", "weights-verify"):
        if args.listing is None:
            parser.error(f"{args.command} needs the listing file")
        run = weights_check if args.command == "weights-check" else weights_verify
        return run(config, args.listing)
    return {"prepare": prepare, "publish": publish, "status": status}[args.command](config)
if __name__ == "__main__":
    sys.exit(main())
GRAVITON_LLM_FILE
install_file /opt/graviton-llm/etc/model-store.json 0644 <<'GRAVITON_LLM_FILE'
{"weights_uri": "s3://team-weights/llama-3.1-8b-instruct/", "weights_prefix": "llama-3.1-8b-instruct/", "model_dir": "/opt/graviton-llm/model", "complete_marker": ".graviton-llm-complete", "identity_file": "/opt/graviton-llm/etc/weights-identity.json", "artifacts_dir": "/opt/graviton-llm/compiled", "active": "active", "port": 8000, "static_key": "e0ac5debeeb80b88", "key_inputs": {"format": 1, "image": "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:0.13.0-neuronx-py312-sdk2.28.0-ubuntu24.04", "model_id": "meta-llama/Llama-3.1-8B-Instruct", "dtype": "bfloat16", "tensor_parallel_size": 32, "max_model_len": 4096, "max_num_seqs": 8, "max_num_batched_tokens": 4096, "block_size": 32, "enable_prefix_caching": false, "serving_stack": "neuron-nxdi", "instance_family": "trn1", "logical_nc_config": 1, "vllm_args": ["serve", "/models/model", "--served-model-name", "meta-llama/Llama-3.1-8B-Instruct", "--dtype", "bfloat16", "--tensor-parallel-size", "32", "--max-model-len", "4096", "--max-num-seqs", "8", "--max-num-batched-tokens", "4096", "--no-enable-prefix-caching", "--block-size", "32", "--num-gpu-blocks-override", "8"], "env": {"VLLM_NEURON_FRAMEWORK": "neuronx-distributed-inference"}}, "cache": {"bucket": "team-weights", "prefix": ".graviton-llm-cache/e0ac5debeeb80b88/"}}
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-vllm.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=vLLM OpenAI-compatible server (graviton-llm)
Requires=docker.service
After=docker.service network-online.target
Wants=network-online.target
StartLimitIntervalSec=1800
StartLimitBurst=5

[Service]
Type=simple
EnvironmentFile=/opt/graviton-llm/etc/aws.env
ExecStartPre=/opt/graviton-llm/bin/model-store prepare
ExecStart=/opt/graviton-llm/bin/run-vllm
ExecStop=/usr/bin/docker stop --time 30 graviton-llm-vllm
Restart=on-failure
RestartSec=15
TimeoutStartSec=1200
TimeoutStopSec=60
LimitNOFILE=1048576
LimitMEMLOCK=infinity
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-vllm

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-metrics.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=Prometheus metrics exporter (graviton-llm)
Requires=docker.service
After=docker.service

[Service]
Type=simple
ExecStartPre=/bin/bash -c 'test -x /opt/graviton-llm/neuron-exporter/bin/python || (python3 -m venv /opt/graviton-llm/neuron-exporter && /opt/graviton-llm/neuron-exporter/bin/pip install --quiet prometheus-client==0.21.1)'
ExecStart=/bin/bash -c 'set -o pipefail; /opt/aws/neuron/bin/neuron-monitor | /opt/graviton-llm/neuron-exporter/bin/python /opt/aws/neuron/bin/neuron-monitor-prometheus.py --port 9100'
Restart=always
RestartSec=15
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-metrics

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /opt/graviton-llm/bin/release-node 0755 <<'GRAVITON_LLM_FILE'
#!/bin/bash
# Puts this node in service once vLLM answers (rendered by graviton-llm).
set -euo pipefail
readonly PORT=8000
readonly READY_TIMEOUT_SECONDS=1200
readonly LIFECYCLE_HOOK=graviton-llm-boot
readonly HEARTBEAT_SECONDS=300
readonly UNPROTECT=0
# ---- body (graviton_llm/node/templates/release-node.sh), after the rendered settings --------
# Runs at every boot (the graviton-llm-release unit): once vLLM answers /health, complete this
# node's launch lifecycle hook so the group puts it in service; heartbeat the hook meanwhile.
imds="${GRAVITON_LLM_IMDS_URL:-http://169.254.169.254}"
poll="${GRAVITON_LLM_POLL_SECONDS:-10}"
heartbeat_every="${GRAVITON_LLM_HEARTBEAT_SECONDS:-$HEARTBEAT_SECONDS}"

token="$(curl -fsS --max-time 5 --retry 5 -X PUT \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${imds}/latest/api/token")"
meta() {
  curl -fsS --max-time 5 --retry 5 -H "X-aws-ec2-metadata-token: ${token}" "${imds}/latest/meta-data/$1"
}
instance="$(meta instance-id)"
group="$(meta tags/instance/aws:autoscaling:groupName)"
hook=(--lifecycle-hook-name "$LIFECYCLE_HOOK" --auto-scaling-group-name "$group" --instance-id "$instance")

deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
last_heartbeat=$SECONDS
until curl -fsS --max-time 5 "http://127.0.0.1:${PORT}/health" >/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "vLLM not healthy after ${READY_TIMEOUT_SECONDS}s" >&2
    exit 1
  fi
  if [ $((SECONDS - last_heartbeat)) -ge "$heartbeat_every" ]; then
    aws autoscaling record-lifecycle-action-heartbeat "${hook[@]}" >/dev/null 2>&1 || true
    last_heartbeat=$SECONDS
  fi
  sleep "$poll"
done

# "No active Lifecycle Action" (a plain reboot, nothing pending) is not an error.
if ! out="$(aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE "${hook[@]}" 2>&1)"; then
  case "$out" in
    *"No active Lifecycle Action"*) ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
fi
if [ "$UNPROTECT" = "1" ]; then
  aws autoscaling set-instance-protection --instance-ids "$instance" \
    --auto-scaling-group-name "$group" --no-protected-from-scale-in
fi
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-release.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=Put this node in service once vLLM serves (graviton-llm)
Requires=graviton-llm-vllm.service
After=graviton-llm-vllm.service

[Service]
Type=oneshot
EnvironmentFile=/opt/graviton-llm/etc/aws.env
ExecStart=/opt/graviton-llm/bin/release-node
RemainAfterExit=yes
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-release

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-publish.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=Publish this node's compiled artifacts to the artifact cache (graviton-llm)
Requires=graviton-llm-release.service
After=graviton-llm-release.service

[Service]
Type=oneshot
EnvironmentFile=/opt/graviton-llm/etc/aws.env
ExecStart=/opt/graviton-llm/bin/model-store publish
RemainAfterExit=yes
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-publish

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
install_file /opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml 0644 <<'GRAVITON_LLM_FILE'
global:
  scrape_interval: 30s
  scrape_timeout: 10s
scrape_configs:
- job_name: vllm
  static_configs:
  - targets:
    - localhost:8000
    labels:
      AutoScalingGroupName: __GRAVITON_LLM_ASG_NAME__
- job_name: latency
  static_configs:
  - targets:
    - localhost:9101
    labels:
      AutoScalingGroupName: __GRAVITON_LLM_ASG_NAME__
- job_name: neuron
  static_configs:
  - targets:
    - localhost:9100
    labels:
      AutoScalingGroupName: __GRAVITON_LLM_ASG_NAME__
GRAVITON_LLM_FILE
install_file /opt/aws/amazon-cloudwatch-agent/etc/graviton-llm.json 0644 <<'GRAVITON_LLM_FILE'
{"agent":{"metrics_collection_interval":60},"logs":{"metrics_collected":{"prometheus":{"log_group_name":"/graviton-llm/graviton-llm/metrics","prometheus_config_path":"/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml","emf_processor":{"metric_namespace":"GravitonLLM","metric_declaration":[{"source_labels":["job"],"label_matcher":"^vllm$","dimensions":[["AutoScalingGroupName"]],"metric_selectors":["^vllm:num_requests_waiting$","^vllm:num_requests_running$"]},{"source_labels":["job"],"label_matcher":"^latency$","dimensions":[["AutoScalingGroupName"]],"metric_selectors":["^graviton_llm_e2e_latency_p50_seconds$","^graviton_llm_e2e_latency_p99_seconds$","^graviton_llm_ttft_p99_seconds$"]},{"source_labels":["job"],"label_matcher":"^vllm$","dimensions":[["AutoScalingGroupName","status"]],"metric_selectors":["^http_requests_total$"]},{"source_labels":["job"],"label_matcher":"^neuron$","dimensions":[["AutoScalingGroupName","memory_location"]],"metric_selectors":["^neuron_runtime_memory_used_bytes$"]}]}}},"force_flush_interval":5}}
GRAVITON_LLM_FILE
install_file /opt/graviton-llm/bin/latency-exporter 0755 <<'GRAVITON_LLM_FILE'
#!/usr/bin/python3
# graviton_llm/node/latency_exporter.py (documented there)
import argparse
import math
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
HISTOGRAMS = { "vllm:e2e_request_latency_seconds": "graviton_llm_e2e_latency", "vllm:time_to_first_token_seconds": "graviton_llm_ttft", }
QUANTILES = (0.5, 0.9, 0.99)
DEADLINE_SECONDS = 10.0
MAX_ANSWER_BYTES = 16 * 2**20
_BUCKET = re.compile(r"^([a-zA-Z_:][\w:]*)_bucket\{(.*)\}\s+(\S+)")
_LE = re.compile(r'le="([^"]+)"')
def parse_buckets(text):
    found: dict[str, dict[float, float]] = {}
    for line in text.splitlines():
        match = _BUCKET.match(line)
        if match is None or match.group(1) not in HISTOGRAMS:
            continue
        le = _LE.search(match.group(2))
        if le is None:
            continue
        bound = math.inf if le.group(1) == "+Inf" else float(le.group(1))
        count = float(match.group(3))
        if not (0 <= count < math.inf and (bound < math.inf or le.group(1) == "+Inf")):
            raise ValueError(f"not a bucket: {line[:120]!r}")
        counts = found.setdefault(match.group(1), {})
        counts[bound] = counts.get(bound, 0.0) + count
    for name, counts in found.items():
        if math.inf not in counts:
            raise ValueError(f"{name} has no +Inf bucket: the answer is incomplete")
        cumulative = [counts[bound] for bound in sorted(counts)]
        if cumulative != sorted(cumulative):
            raise ValueError(f"{name}: counts fall as bounds rise, not cumulative buckets")
    return found
def fetch(url, deadline):
    end, parts, data = time.monotonic() + deadline, urllib.parse.urlsplit(url), bytearray()
    with socket.create_connection((parts.hostname, parts.port), deadline) as sock:
        sock.sendall(b"GET %s HTTP/1.0\r\n\r\n" % parts.path.encode())
        while len(data) <= MAX_ANSWER_BYTES:
            sock.settimeout(max(end - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    length = re.search(rb"\ncontent-length: *([0-9]+)", head, re.I)
    if ( head[8:13] != b" 200 " or len(data) > MAX_ANSWER_BYTES or (length and int(length[1]) != len(body)) ):
        raise ValueError(f"not a whole answer: {head[:40]!r}, {len(body)} bytes")
    return body.decode()
def quantile(q, buckets):
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / ( count - lower_count )
        lower_bound, lower_count = bound, count
    return lower_bound
def window(now, before):
    if any(now.get(bound, 0.0) < count for bound, count in before.items()):
        return dict(now)
    return {bound: count - before.get(bound, 0.0) for bound, count in now.items()}
def render(previous, current):
    lines = []
    for histogram, name in HISTOGRAMS.items():
        if histogram not in current:
            continue
        recent = window(current[histogram], previous.get(histogram, {}))
        for q in QUANTILES:
            value = quantile(q, recent)
            if value is not None:
                metric = f"{name}_p{round(q * 100)}_seconds"
                lines += [f"# TYPE {metric} gauge", f"{metric} {value:.6f}"]
    return "\n".join(lines) + "\n"
class Exporter:
    def __init__( self, source, interval, deadline= DEADLINE_SECONDS, clock= time.monotonic, ):
        self.source, self.interval, self.deadline, self.clock = source, interval, deadline, clock
        self.previous: dict[str, dict[float, float]] = {}
        self.text, self.fresh_until = "\n", 0.0
    def served(self):
        return self.text if self.clock() < self.fresh_until else "\n"
    def scrape_once(self):
        started = self.clock()
        current = parse_buckets(fetch(self.source, self.deadline))
        self.text = render(self.previous, current)
        self.previous = current
        self.fresh_until = started + self.interval + 2 * self.deadline
    def step(self):
        try:
            self.scrape_once()
        except Exception as error:
            self.text, self.fresh_until = "\n", 0.0
            print( f"graviton-llm-latency: scrape of {self.source} failed ({error!r}); " "serving no percentiles until a good scrape", file=sys.stderr, flush=True, )
    def run(self):
        while True:
            self.step()
            time.sleep(self.interval)
def main():
    parser = argparse.ArgumentParser(description="vLLM latency percentiles for CloudWatch")
    parser.add_argument("--vllm-port", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=30.0)
    options = parser.parse_args()
    exporter = Exporter(f"http://127.0.0.1:{options.vllm_port}/metrics", options.interval)
    threading.Thread(target=exporter.run, daemon=True).start()
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass
        def do_GET(self):
            body = exporter.served().encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    ThreadingHTTPServer(("127.0.0.1", options.port), Handler).serve_forever()
if __name__ == "__main__":
    main()
GRAVITON_LLM_FILE
install_file /etc/systemd/system/graviton-llm-latency.service 0644 <<'GRAVITON_LLM_FILE'
[Unit]
Description=vLLM latency percentiles for the CloudWatch agent (graviton-llm)
After=graviton-llm-vllm.service

[Service]
Type=simple
ExecStart=/usr/bin/python3 /opt/graviton-llm/bin/latency-exporter --vllm-port 8000 --port 9101
Restart=always
RestartSec=15
StandardOutput=journal
StandardError=journal
SyslogIdentifier=graviton-llm-latency

[Install]
WantedBy=multi-user.target
GRAVITON_LLM_FILE
}

check_accelerator() {
  local found=0 device
  PATH="${PATH}:/opt/aws/neuron/bin"
  neuron-ls >/dev/null || fail "neuron-ls failed: no Neuron driver; use the Neuron base DLAMI"
  for device in "${ROOT}"/dev/neuron[0-9]*; do
    if [ -e "$device" ]; then
      found=$((found + 1))
    fi
  done
  if [ "$found" -ne 16 ]; then
    fail "expected 16 Neuron devices (/dev/neuron0..15), found ${found}"
  fi
}

readonly METRICS_UNIT=graviton-llm-metrics.service
readonly MONITORING=1
readonly RELEASE_UNIT=graviton-llm-release.service
readonly PUBLISH_UNIT=graviton-llm-publish.service
readonly LATENCY_UNIT=graviton-llm-latency.service
readonly LIFECYCLE_HOOK=graviton-llm-boot
readonly HEARTBEAT_SECONDS=300
readonly CLOUDWATCH_DIR=/opt/aws/amazon-cloudwatch-agent/etc
readonly ASG_NAME_PLACEHOLDER=__GRAVITON_LLM_ASG_NAME__

# ---- common steps (graviton_llm/node/templates/common.sh), after the rendered header --------
# Tunables the tests shorten; real nodes keep the defaults.
readonly POLL_SECONDS="${GRAVITON_LLM_POLL_SECONDS:-10}"
readonly BACKOFF_SECONDS="${GRAVITON_LLM_BACKOFF_SECONDS:-5}"
readonly ATTEMPTS="${GRAVITON_LLM_ATTEMPTS:-5}"
readonly READY_TIMEOUT="${GRAVITON_LLM_READY_TIMEOUT_SECONDS:-$READY_TIMEOUT_SECONDS}"
readonly IMDS="${GRAVITON_LLM_IMDS_URL:-http://169.254.169.254}"
readonly LOG_FILE="${ROOT}/var/log/graviton-llm-boot.log"
readonly COMPLETE_MARKER="${ROOT}${MODEL_DIR}/${COMPLETE_MARKER_NAME}"
readonly MODEL_STORE_BIN="${ROOT}${MODEL_STORE}"

mkdir -p "$(dirname "$LOG_FILE")"
# Every line goes to the log file and to the console (EC2 "Get system log").
exec > >(tee -a "$LOG_FILE") 2>&1

STEP="start"
step() {
  STEP="$1"
  echo "graviton-llm: [$(date -u +%FT%TZ)] step: ${STEP}"
}
fail() {
  echo "graviton-llm: FAILED in step '${STEP}': $*" >&2
  exit 1
}
report_exit() {
  local rc=$?
  if [ -n "${heartbeat_pid:-}" ]; then
    pkill -P "$heartbeat_pid" 2>/dev/null || true
    kill "$heartbeat_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "graviton-llm: ${JOB} FAILED in step ${STEP} (exit ${rc}); log: ${LOG_FILE}" >&2
  fi
}
trap report_exit EXIT

# retry N CMD...: run CMD up to N times with exponential backoff (messages on stderr, so
# `x="$(retry ...)"` captures only the output). Errors that no retry can fix
# (a missing bucket or parameter, access denied) end the retries at once, with status 2.
retry() {
  local attempts="$1" n=1 err
  shift
  err="$(mktemp)"
  until "$@" 2>"$err"; do
    cat "$err" >&2
    if grep -Eq 'NoSuchBucket|InvalidBucketName|AccessDenied|ParameterNotFound' "$err"; then
      rm -f "$err"
      return 2
    fi
    if [ "$n" -ge "$attempts" ]; then
      rm -f "$err"
      return 1
    fi
    echo "graviton-llm: attempt ${n}/${attempts} failed: $*; retrying in $((BACKOFF_SECONDS * 2 ** (n - 1)))s" >&2
    sleep "$((BACKOFF_SECONDS * 2 ** (n - 1)))"
    n=$((n + 1))
  done
  cat "$err" >&2
  rm -f "$err"
}

# install_file PATH MODE < CONTENT
install_file() {
  local path="${ROOT}$1"
  mkdir -p "$(dirname "$path")"
  cat >"$path"
  chmod "$2" "$path"
}

imds_region() {
  local token
  token="$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/latest/api/token")"
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/latest/meta-data/placement/region"
}

setup_region() {
  # The AWS CLI reads credentials from instance metadata but never the region.
  region="${AWS_REGION:-${AWS_DEFAULT_REGION:-$DEPLOY_REGION}}"
  if [ -z "$region" ]; then
    region="$(retry "$ATTEMPTS" imds_region)" || fail "cannot read the region from instance metadata (IMDSv2)"
  fi
  # It lands in a systemd EnvironmentFile: nothing but a region name may get there.
  if [[ ! "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; then
    fail "'${region}' is not an AWS region name"
  fi
  export AWS_DEFAULT_REGION="$region"
  # The CLI's S3 settings (tune_s3) serve the boot and the units alike.
  export AWS_CONFIG_FILE="${ROOT}${AWS_CLI_CONFIG}"
  install_file "$AWS_ENV_FILE" 0644 <<EOF
AWS_DEFAULT_REGION=${region}
AWS_CONFIG_FILE=${AWS_CONFIG_FILE}
EOF
}

install_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    retry "$ATTEMPTS" dnf install -y docker || fail "could not install docker"
  fi
  systemctl enable --now docker
}

# S3 at instance speed. AWS CLI v2 always has the CRT transfer client, which `auto` picks only on
# a few instance types: chosen here, aimed at the instance's network bandwidth (AWS CLI v2
# topics/s3-config.rst; it takes its part size from multipart_chunksize). CLI v1 has no CRT and
# ignores those keys; its classic client takes the concurrency and the part size (v1
# customizations/s3/transferconfig.py). One file serves both: no version check.
tune_s3() {
  install_file "$AWS_CLI_CONFIG" 0644 <<EOF
[default]
s3 =
  preferred_transfer_client = crt
  target_bandwidth = ${S3_TARGET_GBPS}Gb/s
  max_concurrent_requests = 64
  multipart_chunksize = 16MB
EOF
}

download_weights() {
  local listing_file="${ROOT}${WEIGHTS_LISTING}" listing summary
  if [ -f "$COMPLETE_MARKER" ]; then
    echo "graviton-llm: weights already complete in ${MODEL_DIR}; not downloading again"
    return 0
  fi
  mkdir -p "${ROOT}${MODEL_DIR}"
  # [key, size, ETag] per object, as JSON that model-store reads (never parsed here): is it a
  # model directory, and the weights' identity, part of the compiled artifacts' key.
  listing="$(retry "$ATTEMPTS" aws s3api list-objects-v2 --bucket "$WEIGHTS_BUCKET" \
    --prefix "$WEIGHTS_PREFIX" --query 'Contents[].[Key, Size, ETag]' --output json)" \
    || fail "cannot list ${WEIGHTS_URI}: the bucket must exist and the node role be allowed to read it (error above)"
  printf '%s\n' "$listing" >"$listing_file"
  summary="$("$MODEL_STORE_BIN" weights-check "$listing_file")" \
    || fail "nothing to serve under ${WEIGHTS_URI} (above)"
  echo "graviton-llm: downloading ${summary#* } bytes in ${summary%% *} files from ${WEIGHTS_URI}"
  # --delete: files left by an interrupted earlier run that S3 no longer has would break the check.
  retry "$ATTEMPTS" aws s3 sync --only-show-errors --delete "$WEIGHTS_URI" "${ROOT}${MODEL_DIR}" \
    || fail "download of ${WEIGHTS_URI} failed after ${ATTEMPTS} attempts"
  "$MODEL_STORE_BIN" weights-verify "$listing_file" \
    || fail "the weights on disk are not what ${WEIGHTS_URI} lists (above)"
  touch "$COMPLETE_MARKER"
}

# Ready means /health answers and one real completion succeeds, within the predicted cold start.
# With an API key the probe sends it from a root-only header file, never on curl's command line.
wait_ready() {
  local auth=() probe_headers="" deadline
  if [ -n "$API_KEY_PARAMETER" ]; then
    probe_headers="${ROOT}${API_KEY_FILE}.probe-headers"
    (umask 077 && printf 'Authorization: Bearer %s\n' "$(cat "${ROOT}${API_KEY_FILE}")" >"$probe_headers")
    auth=(-H "@${probe_headers}")
  fi
  deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fsS --max-time 10 "http://127.0.0.1:${PORT}/health" >/dev/null 2>&1 \
    && curl -fsS --max-time 60 "${auth[@]}" -H 'Content-Type: application/json' -d "$PROBE_BODY" \
      "http://127.0.0.1:${PORT}/v1/completions" >/dev/null 2>&1; do
    if systemctl is-failed --quiet "$VLLM_UNIT"; then
      fail "${VLLM_UNIT} failed (it stopped restarting); see: journalctl -u ${VLLM_UNIT}"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "vLLM not ready after ${READY_TIMEOUT}s; see: journalctl -u ${VLLM_UNIT}"
    fi
    sleep "$POLL_SECONDS"
  done
  rm -f "$probe_headers"
}

# What every node script does before its own work (boot.sh, compile.sh): Docker, the node's files,
# S3 tuning, the weights, the image and the systemd units, each its own step.
install_node() {
  step "install-docker"
  install_docker

  step "install-files"
  mkdir -p "${ROOT}${ARTIFACTS_DIR}"
  write_node_files

  step "tune-s3"
  tune_s3

  step "download-weights"
  download_weights

  step "pull-image"
  retry "$ATTEMPTS" docker pull "$IMAGE" || fail "cannot pull ${IMAGE}"

  step "install-units"
  systemctl daemon-reload
}
# ---- serving boot (graviton_llm/node/templates/boot.sh), after common.sh -------------------
step "region"
setup_region

step "check-accelerator"
# Before minutes of downloads: a node without its accelerator (wrong AMI, no driver) cannot serve.
check_accelerator

step "discover-group"
# IMDSv2; the launch template exposes instance tags, among them the group's name.
imds_token="$(curl -fsS --max-time 5 --retry 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/latest/api/token")" \
  || fail "instance metadata (IMDSv2) unreachable"
imds_get() {
  curl -fsS --max-time 5 --retry 5 -H "X-aws-ec2-metadata-token: ${imds_token}" "${IMDS}/latest/meta-data/$1"
}
instance_id="$(imds_get instance-id)" || fail "no instance id in instance metadata"
asg_name="$(imds_get tags/instance/aws:autoscaling:groupName)" \
  || fail "no aws:autoscaling:groupName tag in instance metadata: is instance_metadata_tags enabled?"
# Both reach the CloudWatch agent's config and AWS CLI calls: only names the cluster can have.
# (A group is named from the cluster's name, which its args hold to these characters.)
[[ "$instance_id" =~ ^i-[0-9a-f]{8,17}$ ]] || fail "unexpected instance id '${instance_id}' in instance metadata"
[[ "$asg_name" =~ ^[A-Za-z0-9._-]{1,255}$ ]] \
  || fail "unexpected Auto Scaling group name '${asg_name}' in instance metadata (allowed: letters, digits, . _ -)"
# The launch hook holds this node out of service until the release unit reports it serves; a
# heartbeat every few minutes keeps it open through download and compile. If this script fails
# the heartbeats stop, and the group abandons and replaces the node after the hook's timeout
# (time enough to look at it with SSM first).
heartbeat_every="${GRAVITON_LLM_HEARTBEAT_SECONDS:-$HEARTBEAT_SECONDS}"
(
  while sleep "$heartbeat_every"; do
    aws autoscaling record-lifecycle-action-heartbeat --lifecycle-hook-name "$LIFECYCLE_HOOK" \
      --auto-scaling-group-name "$asg_name" --instance-id "$instance_id" || true
  done
) </dev/null >/dev/null 2>&1 &
heartbeat_pid=$!

install_node

step "start-services"
systemctl enable --now "$METRICS_UNIT" || fail "cannot start ${METRICS_UNIT}; see: journalctl -u ${METRICS_UNIT}"
# Its ExecStartPre readies the compiled artifacts first: this node's, or the cache's.
systemctl enable --now "$VLLM_UNIT" || fail "cannot start ${VLLM_UNIT}; see: journalctl -u ${VLLM_UNIT}"

step "wait-ready"
wait_ready

step "ready"
echo "graviton-llm: serving ${MODEL_ID} on port ${PORT}"

# ---- cluster operations (graviton_llm/node/templates/operations.sh), once the node serves ---
# Monitoring never keeps a serving node out of service: a failure here is logged loudly and
# shows in the cluster's metrics-missing alarm, and the node is released all the same.
setup_monitoring() {
  local scrape_config ctl
  # A literal replacement (no sed: a name is never a program); bash 5.2 would read an unquoted
  # & in the replacement as the match, so that option is off.
  shopt -u patsub_replacement 2>/dev/null || true
  scrape_config="${ROOT}${CLOUDWATCH_DIR}/prometheus.yaml"
  scrape="$(<"$scrape_config")" || return 1
  printf '%s\n' "${scrape//"$ASG_NAME_PLACEHOLDER"/"$asg_name"}" >"$scrape_config" || return 1
  systemctl enable --now "$LATENCY_UNIT" || { echo "graviton-llm: cannot start ${LATENCY_UNIT}" >&2; return 1; }
  # The package installs the control script here (CloudWatch agent user guide).
  ctl="${ROOT}/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
  if [ ! -x "$ctl" ] && ! command -v amazon-cloudwatch-agent-ctl >/dev/null 2>&1; then
    retry "$ATTEMPTS" dnf install -y amazon-cloudwatch-agent \
      || { echo "graviton-llm: could not install the CloudWatch agent" >&2; return 1; }
  fi
  [ -x "$ctl" ] || ctl=amazon-cloudwatch-agent-ctl
  "$ctl" -a fetch-config -m ec2 -s -c "file:${CLOUDWATCH_DIR}/graviton-llm.json" \
    || { echo "graviton-llm: the CloudWatch agent refused its configuration" >&2; return 1; }
}

if [ "$MONITORING" = "1" ]; then
  step "cloudwatch-agent"
  if ! setup_monitoring; then
    echo "graviton-llm: WARNING: monitoring does not run on this node (see above); it serves without metrics and the cluster's metrics-missing alarm will fire" >&2
  fi
fi

step "release-node"
# A oneshot unit, so a node that comes back from the warm pool (user data does not run again)
# also completes its launch lifecycle hook once vLLM serves.
systemctl enable --now "$RELEASE_UNIT" || fail "cannot start ${RELEASE_UNIT}; see: journalctl -u ${RELEASE_UNIT}"

if [ -n "$PUBLISH_UNIT" ]; then
  step "publish-artifacts"
  # The node serves: a set it compiled goes to the cache, for the next nodes. A failure only
  # warns (the node serves all the same), and the unit tries again at the next boot.
  systemctl enable --now "$PUBLISH_UNIT" \
    || echo "graviton-llm: WARNING: compiled artifacts not published; see: journalctl -u ${PUBLISH_UNIT}" >&2
fi

step "done"
echo "graviton-llm: node released to group ${asg_name}"
