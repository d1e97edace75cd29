#!/usr/bin/env python3
"""Load scenario for issue 15, case 1 and 3: many clients send GetTask for one large task and never read the answer.

Starts `herald serve` (in-memory store, exec agent printing SIZE bytes), creates the task with one blocking
SendMessage, then opens CLIENTS raw sockets (small receive buffers) that each send GetTask and read nothing.
Prints the server's RSS (VmRSS) at baseline, while the clients hold their requests, and after they close,
with how each request was answered (200 started, 503 busy, connection cut by the write deadline).

    python3 bench/unread-clients.py [--clients 300] [--size 3500000] [--hold 12] [--budget BYTES] [--stall 10s]
                                    [--store memory|sqlite] [--heap-limit BYTES]

Build first: dotnet build -c Release src/Herald.Cli
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERALD = os.path.join(ROOT, "src/Herald.Cli/bin/Release/net10.0/herald.dll")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def post(port, body):
    data = json.dumps(body).encode()
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode()
    return head + data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--size", type=int, default=3_500_000, help="bytes of artifact text in the task")
    parser.add_argument("--hold", type=float, default=12, help="seconds the clients hold their requests unread")
    parser.add_argument("--budget", type=int, default=None, help="--max-response-bytes-in-flight")
    parser.add_argument("--stall", default=None, help="--write-stall-timeout")
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory", help="sqlite: a fresh database file in a temporary directory")
    parser.add_argument("--heap-limit", type=int, default=None, help="DOTNET_GCHeapHardLimit for the server, in bytes")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="herald-unread-")
    store = "memory" if args.store == "memory" else os.path.join(scratch, "tasks.db")
    env = dict(os.environ)
    if args.heap_limit:
        env["DOTNET_GCHeapHardLimit"] = hex(args.heap_limit)
    command = ["dotnet", HERALD, "serve", "--urls", "http://127.0.0.1:0", "--store", store]
    if args.budget:
        command += ["--max-response-bytes-in-flight", str(args.budget)]
    if args.stall:
        command += ["--write-stall-timeout", args.stall]
    command += ["--", "/bin/sh", "-c", f"head -c {args.size} /dev/zero | tr '\\0' x"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = server.stdout.readline()
        port = int(re.search(r":(\d+)", line.split("http://127.0.0.1")[1]).group(1))

        # The task: one blocking send whose agent prints SIZE bytes.
        with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
            s.sendall(post(port, {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {
                "message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "go"}]},
                "configuration": {"blocking": True}}}))
            answer = b""
            while b'"id":"' not in answer:
                answer += s.recv(65536)
            task_id = re.search(rb'"task":\{"id":"([^"]+)"', answer).group(1).decode()

        time.sleep(1)
        baseline = rss_mib(server.pid)
        clients = []
        get = post(port, {"jsonrpc": "2.0", "id": 2, "method": "GetTask", "params": {"id": task_id}})
        for _ in range(args.clients):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(get)
            clients.append(s)

        peak = baseline
        deadline = time.monotonic() + args.hold
        while time.monotonic() < deadline:
            peak = max(peak, rss_mib(server.pid))
            time.sleep(0.1)

        # What each client got: the status line of its answer; then each answered client reads on until the connection
        # ends: an answer shorter than the task was cut by the write deadline (the client had stopped reading).
        outcomes = {"200 whole": 0, "200 cut": 0, "503": 0, "other": 0}
        for s in clients:
            s.settimeout(5)
            received = b""
            try:
                while True:
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        break
                    received += chunk
                    if received.startswith(b"HTTP/1.1 503") and b"\r\n\r\n" in received:
                        break
            except (socket.timeout, OSError):
                pass
            status = received[9:12].decode(errors="replace")
            if status == "200":
                outcomes["200 whole" if len(received) > args.size else "200 cut"] += 1
            else:
                outcomes[status if status == "503" else "other"] += 1
            s.close()

        time.sleep(3)
        after = rss_mib(server.pid)
        print(f"clients={args.clients} task={args.size:,} bytes hold={args.hold}s store={args.store} heap limit={args.heap_limit or 'none'}")
        print(f"RSS MiB: baseline {baseline:.0f}, peak while held {peak:.0f}, 3 s after they closed {after:.0f}")
        print(f"answers: {outcomes}")
        print(f"server still running afterwards: {server.poll() is None}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
