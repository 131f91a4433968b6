#!/usr/bin/env python3
"""The cluster under faults, checked like Jepsen would (issue 25, docs/RELIABILITY.md).

Three chatserver nodes, Redis (or, with --sentinel, a primary, a replica and three sentinels)
and the clients each run in their own Linux network namespace: every node has one link to the
backbone bridge (Redis) and one to the front bridge (the clients), so that a node can be cut
from Redis while its clients still reach it, or from its clients while it still reaches Redis.
A workload of clients on every node sends sequenced messages to each other and to ALL,
contests names on purpose (one id tried on two nodes at once), joins and leaves. A seeded
schedule (printed, replayable with --seed) injects the faults; afterwards a checker reads every
client's recorded view and the fault log and verifies five invariants:

  1. names unique      two sessions of one id are never live at once (a session is live from
                       its Connected to its Error or close, or to the moment it would have been
                       fenced), and nothing reaches or leaves a session after that moment;
  2. no duplicates     no message is delivered twice to one session;
  3. per-sender order  each receiver sees each sender's messages in order;
  4. nothing lost      every message sent while no fault touches its sender's or receiver's
                       node (or Redis) is delivered or answered Offline;
  5. convergence       within the lease + 2 s of the last fault healing, every live client's
                       list is the same, and holds every live client.

It also measures what happens to a message sent during a fault: delivered (on time or late),
answered Offline, or lost. Needs root (ip netns), iproute2, redis-server and a built
chatserver. Usage:

  sudo scripts/chaos.py --duration 60 [--seed N] [--sentinel] [--lease 1] [--report FILE]

Exit status: 0 when no invariant is violated, 1 when one is, 2 when the run itself failed.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

PREFIX = "c255"
BACK_NET = "10.255.0"   # the backbone bridge: Redis and the nodes' first links
FRONT_NET = "10.255.1"  # the front bridge: the clients and the nodes' second links
REDIS_IP = BACK_NET + ".2"
CLIENTS_IP = FRONT_NET + ".2"
NODES = 3
CHAT_PORT = 7255
ALIVE_INTERVAL = 1.0
ALIVE_TIMEOUT = 3.0
FAULT_KINDS = ["redis-partition", "client-partition", "pause", "kill", "redis-restart"]
SENTINEL_KINDS = FAULT_KINDS + ["primary-kill"]


def log(text):
    print(f"[chaos {time.monotonic():.3f}] {text}", flush=True)


def run(*args, check=True):
    return subprocess.run(list(args), check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def node_ip(i, net):
    return f"{net}.{10 + i}"


# MARK: the network


class Network:
    """Namespaces, veth pairs and the two bridges; links are cut by setting their host end down."""

    def __init__(self):
        self.namespaces = [f"{PREFIX}-redis", f"{PREFIX}-clients"] + [f"{PREFIX}-n{i}" for i in range(NODES)]

    def teardown(self):
        for ns in self.namespaces:
            # Whatever a run that was killed left running in it (nodes, Redis, the workload).
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run("ip", "netns", "del", ns, check=False)
        for bridge in (f"{PREFIX}back", f"{PREFIX}front"):
            run("ip", "link", "del", bridge, check=False)

    def build(self):
        self.teardown()
        for bridge in (f"{PREFIX}back", f"{PREFIX}front"):
            run("ip", "link", "add", bridge, "type", "bridge")
            run("ip", "link", "set", bridge, "up")
        self.attach(f"{PREFIX}-redis", f"{PREFIX}r", f"{PREFIX}back", REDIS_IP)
        self.attach(f"{PREFIX}-clients", f"{PREFIX}c", f"{PREFIX}front", CLIENTS_IP)
        for i in range(NODES):
            self.attach(f"{PREFIX}-n{i}", f"{PREFIX}n{i}b", f"{PREFIX}back", node_ip(i, BACK_NET), inside="eth0")
            self.attach(f"{PREFIX}-n{i}", f"{PREFIX}n{i}f", f"{PREFIX}front", node_ip(i, FRONT_NET), inside="eth1",
                        create=False)

    def attach(self, ns, host_end, bridge, address, inside="eth0", create=True):
        if create:
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "link", "add", host_end, "type", "veth", "peer", "name", inside, "netns", ns)
        run("ip", "link", "set", host_end, "master", bridge)
        run("ip", "link", "set", host_end, "up")
        run("ip", "-n", ns, "addr", "add", address + "/24", "dev", inside)
        run("ip", "-n", ns, "link", "set", inside, "up")

    def cut(self, link, down):
        run("ip", "link", "set", link, "down" if down else "up")


# MARK: the processes


class Processes:
    """Redis (or the sentinel set) and the nodes, each in its namespace; stopped by PID."""

    def __init__(self, args, folder):
        self.args = args
        self.folder = folder
        self.redis = {}   # name -> Popen
        self.nodes = {}   # index -> Popen
        self.paused = set()

    def spawn(self, ns, argv, log_name):
        out = open(os.path.join(self.folder, log_name), "ab")
        return subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdout=out, stderr=out,
                                start_new_session=True, cwd=self.folder)

    def redis_argv(self, port, extra=()):
        # A fresh folder at every start: a replica writes the primary's data there at a full sync
        # (dump.rdb), and a Redis loads a dump.rdb it finds where it starts; "restarted empty"
        # must be empty.
        folder = tempfile.mkdtemp(prefix=f"redis-{port}-", dir=self.folder)
        return ["redis-server", "--bind", REDIS_IP, "--port", str(port), "--save", "", "--appendonly", "no",
                "--protected-mode", "no", "--dir", folder] + list(extra)

    def start_redis(self, name, port, extra=()):
        self.redis[name] = self.spawn(f"{PREFIX}-redis", self.redis_argv(port, extra), f"redis-{name}.log")
        self.await_port(f"{PREFIX}-redis", REDIS_IP, port)

    def start_backbone(self):
        if not self.args.sentinel:
            self.start_redis("main", 6379)
            return
        self.start_redis("a", 6379)
        self.start_redis("b", 6380, ["--replicaof", REDIS_IP, "6379"])
        for k in range(3):
            port = 26379 + k
            conf = os.path.join(self.folder, f"sentinel-{k}.conf")
            with open(conf, "w") as f:
                f.write(f"port {port}\nbind {REDIS_IP}\nprotected-mode no\n"
                        f"sentinel monitor chat {REDIS_IP} 6379 2\n"
                        f"sentinel down-after-milliseconds chat {int(self.args.down_after * 1000)}\n"
                        f"sentinel failover-timeout chat {int(self.args.down_after * 4000)}\n"
                        f"sentinel known-replica chat {REDIS_IP} 6380\n")
            self.redis[f"sentinel{k}"] = self.spawn(f"{PREFIX}-redis", ["redis-server", conf, "--sentinel"],
                                                    f"sentinel-{k}.log")
            self.await_port(f"{PREFIX}-redis", REDIS_IP, port)

    def cluster_url(self):
        if not self.args.sentinel:
            return f"redis://{REDIS_IP}:6379"
        hosts = ",".join(f"{REDIS_IP}:{26379 + k}" for k in range(3))
        return f"redis-sentinel://{hosts}/chat"

    def primary_name(self):
        """The redis process the sentinels name now ("a" or "b")."""
        out = subprocess.run(["ip", "netns", "exec", f"{PREFIX}-redis", "redis-cli", "-h", REDIS_IP, "-p", "26379",
                              "sentinel", "get-master-addr-by-name", "chat"], capture_output=True, text=True).stdout
        return "a" if out.strip().endswith("6379") else "b"

    def start_node(self, i):
        argv = [self.args.chatserver, "--host", "0.0.0.0", "--port", str(CHAT_PORT), "--cluster", self.cluster_url(),
                "--node-id", f"n{i}", "--cluster-lease", str(self.args.lease),
                "--alive-interval", str(ALIVE_INTERVAL), "--alive-timeout", str(ALIVE_TIMEOUT)]
        self.nodes[i] = self.spawn(f"{PREFIX}-n{i}", argv, f"node-{i}.log")
        self.await_port(f"{PREFIX}-n{i}", node_ip(i, FRONT_NET), CHAT_PORT, timeout=self.args.lease + 15)

    def await_port(self, ns, host, port, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = subprocess.run(["ip", "netns", "exec", ns, "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if probe.returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {host}:{port} in {ns} after {timeout} s")

    def kill(self, process):
        if process and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)

    def signal_node(self, i, sig):
        process = self.nodes.get(i)
        if process and process.poll() is None:
            os.killpg(process.pid, sig)

    def stop_all(self):
        for i in list(self.paused):
            self.signal_node(i, signal.SIGCONT)
        for process in list(self.nodes.values()) + list(self.redis.values()):
            self.kill(process)


# MARK: the schedule


def make_schedule(seed, duration, lease, kinds):
    """Faults one after another: each lasts 0.5 to 3 leases (at least 0.5 s), then a quiet gap
    of the lease and 2 s to 4 s; every kind at least once, in a seeded order. The run ends with
    a settle period (no churn) of the lease and 4 s after the last fault heals."""
    rng = random.Random(seed)
    faults = []
    order = kinds[:]
    rng.shuffle(order)
    t = 3.0  # the workload settles first
    settle = lease + 4.0
    while True:
        kind = order.pop(0) if order else rng.choice(kinds)
        length = max(0.5, rng.uniform(0.5, 3.0) * lease)
        if kind in ("kill", "redis-restart", "primary-kill"):
            length = max(length, 0.5)
        gap = lease + rng.uniform(2.0, 4.0)
        if t + length + settle > duration:
            break
        faults.append({"kind": kind, "node": rng.randrange(NODES), "at": round(t, 3), "length": round(length, 3)})
        t += length + gap
    return faults


# MARK: the workload (runs in the clients' namespace)


def frame(dst, src, body):
    data = dst.ljust(8).encode() + src.ljust(8).encode() + body.encode()
    return data[:255] + b"\0"


class Workload:
    def __init__(self, args):
        self.args = args
        self.events = []
        self.rng = random.Random(args.seed * 7 + 1)
        self.settling = False
        self.stopping = False
        self.incarnation = defaultdict(int)
        self.names = [f"n{i}c{j}" for i in range(NODES) for j in range(args.clients)]

    def record(self, **event):
        event["t"] = time.monotonic()
        self.events.append(event)

    async def session(self, name, node):
        """One connection as `name` to `node`: Connect, then messages until it ends."""
        self.incarnation[name] += 1
        sid = f"{name}.{self.incarnation[name]}"
        self.record(e="connect", s=sid, name=name, node=node)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(node_ip(node, FRONT_NET), CHAT_PORT), 2.0)
        except (OSError, asyncio.TimeoutError) as error:
            self.record(e="refused", s=sid, why=f"connect: {error}")
            return False
        writer.write(frame("-SERVER-", name, f"Connect {name}"))
        seq = 0
        online = False
        parts = []
        ended = asyncio.Event()

        async def reader_task():
            nonlocal online, parts
            buffer = b""
            while True:
                try:
                    data = await reader.read(65536)
                except (OSError, ConnectionError) as error:
                    self.record(e="closed", s=sid, why=str(error))
                    break
                if not data:
                    self.record(e="closed", s=sid, why="eof")
                    break
                buffer += data
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    src = raw[8:16].decode(errors="replace").strip()
                    dst = raw[0:8].decode(errors="replace").strip()
                    body = raw[16:].decode(errors="replace")
                    if src == "-SERVER-":
                        if body.startswith("Connected"):
                            online = True
                            self.record(e="connected", s=sid)
                        elif body.startswith("List "):
                            head, _, rest = body[5:].partition(" ")
                            k, n = head.split("/")
                            if k == "1":
                                parts = []
                            parts.extend(rest.split())
                            if k == n:
                                self.record(e="list", s=sid, names=sorted(parts))
                        elif body.startswith("Offline "):
                            self.record(e="offline", s=sid, name=body[8:].strip())
                        elif body.startswith("Error"):
                            self.record(e="error" if online else "refused", s=sid, why=body)
                    else:
                        fields = body.split()
                        if len(fields) == 3 and fields[0] == "m":
                            self.record(e="recv", s=sid, frm=fields[1], seq=int(fields[2]), to=dst)
            ended.set()

        task = asyncio.create_task(reader_task())
        next_alive = time.monotonic() + ALIVE_INTERVAL / 2
        stay = self.rng.uniform(4.0, 20.0)
        started = time.monotonic()
        try:
            while not ended.is_set() and not self.stopping:
                now = time.monotonic()
                if online:
                    if now >= next_alive:
                        writer.write(frame("-SERVER-", name, f"Alive {name}"))
                        next_alive = now + ALIVE_INTERVAL / 2
                    target = "ALL" if self.rng.random() < 0.2 else self.rng.choice(self.names + ["dup0", "dup1"])
                    if target != name:
                        seq += 1
                        self.record(e="send", s=sid, seq=seq, to=target)
                        writer.write(frame(target, name, f"m {sid} {seq}"))
                    if not self.settling and now - started > stay and not name.startswith("dup"):
                        self.record(e="quit", s=sid)
                        writer.write(frame("-SERVER-", name, f"Quit {name}"))
                        await asyncio.wait_for(ended.wait(), 2.0)
                        break
                    if name.startswith("dup") and (self.settling or now - started > stay / 3):
                        self.record(e="quit", s=sid)
                        writer.write(frame("-SERVER-", name, f"Quit {name}"))
                        await asyncio.wait_for(ended.wait(), 2.0)
                        break
                elif now - started > 3.0:
                    self.record(e="refused", s=sid, why="no answer to Connect within 3 s")
                    break
                try:
                    await writer.drain()
                except (OSError, ConnectionError):
                    pass
                try:
                    await asyncio.wait_for(ended.wait(), self.rng.uniform(0.05, 0.25))
                except asyncio.TimeoutError:
                    pass
        except (OSError, ConnectionError, asyncio.TimeoutError):
            pass
        finally:
            if not ended.is_set():
                if self.stopping:
                    await asyncio.sleep(2.0)  # what is in flight arrives
                self.record(e="closed", s=sid, why="by the client")
            task.cancel()
            writer.close()
        return online

    async def client(self, name, node):
        while not self.stopping:
            await self.session(name, node)
            if self.stopping:
                break
            await asyncio.sleep(self.rng.uniform(0.2, 0.2 if self.settling else 1.0))

    async def contested(self, name):
        """The same id tried on two nodes at once, again and again."""
        while not self.stopping:
            if self.settling:
                await asyncio.sleep(0.2)
                continue
            a, b = self.rng.sample(range(NODES), 2)
            await asyncio.gather(self.session(name, a), self.session(name, b))
            await asyncio.sleep(self.rng.uniform(0.2, 1.0))

    async def main(self):
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, lambda: setattr(self, "settling", True))
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        tasks = [asyncio.create_task(self.client(f"n{i}c{j}", i)) for i in range(NODES)
                 for j in range(self.args.clients)]
        tasks += [asyncio.create_task(self.contested(f"dup{k}")) for k in range(2)]
        await stop.wait()
        self.record(e="stop")
        self.stopping = True
        await asyncio.wait(tasks, timeout=6.0)
        with open(self.args.history, "w") as f:
            for event in self.events:
                f.write(json.dumps(event) + "\n")


# MARK: the orchestrator


def orchestrate(args):
    if os.geteuid() != 0:
        print("chaos.py needs root (ip netns)", file=sys.stderr)
        return 2
    for tool in ("ip", "redis-server", "redis-cli"):
        if not shutil.which(tool):
            print(f"chaos.py needs {tool} (apt-get install iproute2 redis-server; .ci/run does)", file=sys.stderr)
            return 2
    if not os.access(args.chatserver, os.X_OK):
        print(f"no chatserver at {args.chatserver} (swift build first)", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    args.seed = seed
    kinds = SENTINEL_KINDS if args.sentinel else FAULT_KINDS
    schedule = make_schedule(seed, args.duration, args.lease, kinds)
    log(f"seed {seed} ({'sentinel' if args.sentinel else 'one redis'}, lease {args.lease} s, "
        f"{args.duration} s): replay with --seed {seed}")
    for fault in schedule:
        log(f"  at {fault['at']:6.2f} s {fault['kind']:16} node n{fault['node']} for {fault['length']:.2f} s")
    folder = tempfile.mkdtemp(prefix="chaos-")
    # A SIGTERM (a test's timeout) cleans up as an error does: processes, namespaces, bridges.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    network = Network()
    processes = Processes(args, folder)
    workload = None
    fault_log = []
    try:
        network.build()
        processes.start_backbone()
        for i in range(NODES):
            processes.start_node(i)
        history = os.path.join(folder, "history.jsonl")
        workload = subprocess.Popen(
            ["ip", "netns", "exec", f"{PREFIX}-clients", sys.executable, os.path.abspath(__file__), "workload",
             "--history", history, "--seed", str(seed), "--clients", str(args.clients)],
            start_new_session=True)
        start = time.monotonic()
        for fault in schedule:
            delay = start + fault["at"] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            inject(fault, processes, network, args, fault_log)
        last_heal = max([f["healed"] for f in fault_log] or [time.monotonic()])
        settle_at = time.monotonic()
        os.kill(workload.pid, signal.SIGUSR1)
        end = max(start + args.duration, last_heal + args.lease + 4.0)
        time.sleep(max(0.0, end - time.monotonic()))
        os.kill(workload.pid, signal.SIGTERM)
        workload.wait(timeout=30)
        events = [json.loads(line) for line in open(history)]
        report = check(events, fault_log, args, settle_at, last_heal)
        report["seed"] = seed
        report["mode"] = "sentinel" if args.sentinel else "redis"
        report["duration"] = args.duration
        print_report(report)
        if args.report:
            with open(args.report, "w") as f:
                json.dump(report, f, indent=1)
        violations = sum(len(v) for v in report["violations"].values())
        if violations and args.keep_logs:
            log(f"logs kept in {folder}")
        return 1 if violations else 0
    except (Exception, KeyboardInterrupt) as error:  # the run failed, not an invariant: say where
        log(f"the run failed: {error!r}; logs in {folder}")
        return 2
    finally:
        if workload and workload.poll() is None:
            workload.kill()
        processes.stop_all()
        network.teardown()
        if not args.keep_logs:
            shutil.rmtree(folder, ignore_errors=True)


def inject(fault, processes, network, args, fault_log):
    kind, i, length = fault["kind"], fault["node"], fault["length"]
    began = time.monotonic()
    record = {"kind": kind, "node": i, "start": began}
    log(f"{kind} node n{i} for {length:.2f} s")
    if kind == "redis-partition":
        network.cut(f"{PREFIX}n{i}b", True)
        time.sleep(length)
        network.cut(f"{PREFIX}n{i}b", False)
    elif kind == "client-partition":
        network.cut(f"{PREFIX}n{i}f", True)
        time.sleep(length)
        network.cut(f"{PREFIX}n{i}f", False)
    elif kind == "pause":
        processes.signal_node(i, signal.SIGSTOP)
        processes.paused.add(i)
        time.sleep(length)
        processes.signal_node(i, signal.SIGCONT)
        processes.paused.discard(i)
    elif kind == "kill":
        processes.kill(processes.nodes[i])
        time.sleep(length)
        processes.start_node(i)
    elif kind == "redis-restart":
        names = [name for name in processes.redis if not name.startswith("sentinel")]
        for name in names:
            processes.kill(processes.redis[name])
        time.sleep(length)
        if args.sentinel:
            # Both empty: the sentinels' primary first, its replica after.
            primary = processes.primary_name()
            processes.start_redis(primary, 6379 if primary == "a" else 6380)
            other = "b" if primary == "a" else "a"
            port = 6379 if primary == "a" else 6380
            processes.start_redis(other, 6380 if other == "b" else 6379, ["--replicaof", REDIS_IP, str(port)])
        else:
            processes.start_redis("main", 6379)
    elif kind == "primary-kill":
        primary = processes.primary_name()
        processes.kill(processes.redis[primary])
        deadline = time.monotonic() + 30
        while processes.primary_name() == primary and time.monotonic() < deadline:
            time.sleep(0.05)
        record["promoted"] = time.monotonic()
        time.sleep(max(0.0, began + length - time.monotonic()))
        port = 6379 if primary == "a" else 6380
        other_port = 6380 if primary == "a" else 6379
        processes.start_redis(primary, port, ["--replicaof", REDIS_IP, str(other_port)])
    record["healed"] = time.monotonic()
    fault_log.append(record)


# MARK: the checker


def check(events, faults, args, settle_at, last_heal):
    lease = args.lease
    slack = 0.15  # one clock, two sockets read by one loop: what "at once" means here
    sessions = {}
    for ev in events:
        sid = ev.get("s")
        if sid is None:
            continue
        s = sessions.setdefault(sid, {"sid": sid, "name": None, "node": None, "connected": None, "end": None,
                                      "error": None, "recv": [], "sent": [], "offline": [], "lists": []})
        e = ev["e"]
        if e == "connect":
            s["name"], s["node"] = ev["name"], ev["node"]
        elif e == "connected":
            s["connected"] = ev["t"]
        elif e in ("error", "closed") and s["end"] is None and s["connected"] is not None:
            s["end"] = ev["t"]
            if e == "error":
                s["error"] = ev["why"]
        elif e == "recv":
            s["recv"].append(ev)
        elif e == "send":
            s["sent"].append(ev)
        elif e == "offline":
            s["offline"].append(ev)
        elif e == "list":
            s["lists"].append(ev)
    stop_time = next((ev["t"] for ev in events if ev["e"] == "stop"), events[-1]["t"] if events else 0)
    live = [s for s in sessions.values() if s["connected"] is not None]

    def cut_off(node):
        """Faults that cut `node` off Redis (its own, or Redis's), as (start, healed)."""
        return [(f["start"], f["healed"]) for f in faults
                if (f["kind"] in ("redis-partition", "pause") and f["node"] == node)
                or f["kind"] in ("redis-restart", "primary-kill")]

    def fenced(s):
        return s["error"] is not None and "cluster unavailable" in s["error"]

    # The moment each session stopped being live.
    for s in live:
        end = s["end"] if s["end"] is not None else stop_time + 10
        if s["error"] and "cluster unavailable" in s["error"]:
            # Fenced: no later than a lease after the cut it lived through began (an Error with
            # no such cut had another cause: its id found taken at a registration).
            starts = [a for a, h in cut_off(s["node"]) if a <= end and h >= s["connected"]]
            if starts:
                end = min(end, max(max(starts), s["connected"]) + lease)
        for f in faults:
            if f["node"] != s["node"] or not (s["connected"] < f["healed"] and end > f["start"]):
                continue
            if f["kind"] == "kill" and s["connected"] < f["start"]:
                end = min(end, f["start"])
            elif (f["kind"] == "client-partition" and end > f["healed"] and not fenced(s)
                  and f["healed"] - f["start"] > ALIVE_TIMEOUT - 1.0):
                # Cut off long enough for the server to drop it (no Alive for the timeout):
                # it was live on the server until then at most, whenever the client saw the close.
                end = min(end, max(f["start"], s["connected"]) + ALIVE_TIMEOUT + 0.5)
        s["live_end"] = end

    violations = {"names unique": [], "no duplicates": [], "per-sender order": [], "nothing lost": [],
                  "convergence": []}
    # 1. Names unique, and nothing to or from a session after it stopped being live.
    by_name = defaultdict(list)
    for s in live:
        by_name[s["name"]].append(s)
    for name, group in by_name.items():
        group.sort(key=lambda s: s["connected"])
        for k, a in enumerate(group):
            for b in group[k + 1:]:
                if b["connected"] < a["live_end"] - slack:
                    violations["names unique"].append(
                        f"{name}: {a['sid']} on n{a['node']} live {a['connected']:.3f}..{a['live_end']:.3f} and "
                        f"{b['sid']} on n{b['node']} connected at {b['connected']:.3f}")
    by_sid = {s["sid"]: s for s in live}
    for s in live:
        if not fenced(s):
            continue  # a client that quit or was cut off: what the server sent before may arrive late
        late = [r for r in s["recv"] if r["t"] > s["live_end"] + slack]
        if late:
            violations["names unique"].append(
                f"{s['sid']} received {len(late)} message(s) after it was fenced at {s['live_end']:.3f} "
                f"(first at {late[0]['t']:.3f})")
    for s in live:
        for r in s["recv"]:
            sender = by_sid.get(r["frm"])
            if sender and fenced(sender) and r["t"] > sender["live_end"] + slack:
                sent = next((m for m in sender["sent"] if m["seq"] == r["seq"]), None)
                if sent and sent["t"] > sender["live_end"] - lease:
                    violations["names unique"].append(
                        f"{r['frm']} #{r['seq']} (sent {sent['t']:.3f}) reached {s['sid']} at {r['t']:.3f}, "
                        f"after its sender was fenced at {sender['live_end']:.3f}")
    # 2 and 3. Duplicates and order, per receiving session and sender.
    for s in live:
        seen = set()
        last = {}
        for r in s["recv"]:
            key = (r["frm"], r["seq"])
            if key in seen:
                violations["no duplicates"].append(f"{s['sid']} got {r['frm']} #{r['seq']} twice")
            seen.add(key)
            if r["seq"] < last.get(r["frm"], 0):
                violations["per-sender order"].append(
                    f"{s['sid']} got {r['frm']} #{r['seq']} after #{last[r['frm']]}")
            last[r["frm"]] = max(last.get(r["frm"], 0), r["seq"])

    # 4. Nothing lost outside faults; and what happens to messages sent during one.
    recovery = lease + 2.0

    def touched(node, t):
        for f in faults:
            if f["start"] - 0.5 <= t <= f["healed"] + recovery:
                if f["node"] == node or f["kind"] in ("redis-restart", "primary-kill"):
                    return f["kind"]
        return None

    received = defaultdict(list)  # (sender sid, seq) -> [(receiver sid, t)]
    for s in live:
        for r in s["recv"]:
            received[(r["frm"], r["seq"])].append((s["sid"], r["t"]))

    def session_of(name, t):
        for s in by_name.get(name, []):
            if s["connected"] <= t <= s["live_end"]:
                return s
        return None

    during = defaultdict(lambda: defaultdict(int))
    outside = defaultdict(int)
    sent_total = 0
    for s in live:
        offline_times = defaultdict(list)
        for o in s["offline"]:
            offline_times[o["name"]].append(o["t"])
        for m in s["sent"]:
            sent_total += 1
            if m["t"] > stop_time - 1.0 or m["t"] > s["live_end"] or m["t"] < s["connected"]:
                continue
            got = received.get((s["sid"], m["seq"]), [])
            if m["to"] == "ALL":
                fault = touched(s["node"], m["t"])
                expected = [r for r in live if r["sid"] != s["sid"] and r["connected"] <= m["t"] - 1.0
                            and r["live_end"] >= m["t"] + 2.0]
                got_by = {sid for sid, _ in got}
                for r in expected:
                    rf = touched(r["node"], m["t"]) or fault
                    if r["sid"] in got_by:
                        t = next(t for sid, t in got if sid == r["sid"])
                        outcome = "delivered late" if t - m["t"] > 1.0 else "delivered"
                    else:
                        outcome = "lost"
                    if rf:
                        during[rf][outcome] += 1
                    else:
                        outside[outcome] += 1
                        if outcome == "lost":
                            violations["nothing lost"].append(
                                f"{s['sid']} #{m['seq']} to ALL at {m['t']:.3f} never reached {r['sid']}")
                continue
            target = session_of(m["to"], m["t"])
            # The receiver's node: where its sessions around then were (it may be between two).
            near = [r["node"] for r in by_name.get(m["to"], [])
                    if r["connected"] <= m["t"] + recovery and r["live_end"] >= m["t"] - recovery]
            fault = touched(s["node"], m["t"]) or next((touched(n, m["t"]) for n in near if touched(n, m["t"])), None)
            if got:
                t = min(t for _, t in got)
                outcome = "delivered late" if t - m["t"] > 1.0 else "delivered"
            elif any(m["t"] <= o <= m["t"] + 2.0 for o in offline_times[m["to"]]):
                # Answers come in the order of the messages, within moments: the first answer
                # after it that no earlier message took (one lost in a fault takes none later).
                outcome = "Offline"
                offline_times[m["to"]].remove(min(o for o in offline_times[m["to"]] if o >= m["t"]))
            else:
                outcome = "lost"
            if fault:
                during[fault][outcome] += 1
                continue
            outside[outcome] += 1
            if outcome == "lost":
                # The receiver may have left just then: its session ended within a second.
                if target and target["live_end"] < m["t"] + 1.0:
                    continue
                violations["nothing lost"].append(
                    f"{s['sid']} #{m['seq']} to {m['to']} at {m['t']:.3f} neither delivered nor answered Offline")

    # 5. Convergence: at the last heal + lease + 2 s, every live client's latest list is the
    # same, and is exactly the live clients.
    at = last_heal + lease + 2.0
    if at < stop_time:
        online = [s for s in live if s["connected"] <= at - 0.5 and s["live_end"] > at + 0.5]
        names = sorted({s["name"] for s in online})
        for s in online:
            lists = [l for l in s["lists"] if l["t"] <= at]
            latest = lists[-1]["names"] if lists else None
            if latest != names:
                violations["convergence"].append(
                    f"{s['sid']} on n{s['node']} lists {latest} at {at:.3f}; online: {names}")
    else:
        violations["convergence"].append("the run ended before the lists could be checked")

    # Recovery: after each fault heals, how long until a message crosses between the node it
    # touched (any node, for Redis) and another node again, in each direction.
    crossings = sorted((t, by_sid[frm]["node"], by_sid[rcv]["node"])
                       for (frm, _), got in received.items() if frm in by_sid
                       for rcv, t in got if rcv in by_sid and by_sid[frm]["node"] != by_sid[rcv]["node"])
    recoveries = []
    for f in faults:
        redis_wide = f["kind"] in ("redis-restart", "primary-kill")
        out_at = next((t for t, a, b in crossings if t > f["healed"] and (redis_wide or a == f["node"])), None)
        in_at = next((t for t, a, b in crossings if t > f["healed"] and (redis_wide or b == f["node"])), None)
        if out_at is not None and in_at is not None:
            recoveries.append({"kind": f["kind"], "length": round(f["healed"] - f["start"], 2),
                               "crossing again after heal": round(max(out_at, in_at) - f["healed"], 2),
                               "crossing again after start": round(max(out_at, in_at) - f["start"], 2)})

    counts = defaultdict(int)
    for f in faults:
        counts[f["kind"]] += 1
    under = sum(f["healed"] - f["start"] for f in faults)
    return {
        "faults": dict(counts),
        "seconds under faults": round(under, 1),
        "messages sent": sent_total,
        "sessions": len(live),
        "outside faults": dict(outside),
        "during faults": {k: dict(v) for k, v in during.items()},
        "promotion": [{"kind": f["kind"], "promoted after": round(f["promoted"] - f["start"], 2)}
                      for f in faults if "promoted" in f],
        "recovery": recoveries,
        "violations": violations,
        "fault log": faults,
    }


def print_report(report):
    print(f"mode {report['mode']}, seed {report['seed']}, {report['duration']} s, "
          f"{report['seconds under faults']} s under faults")
    print("faults: " + ", ".join(f"{k} {v}" for k, v in sorted(report["faults"].items())))
    print(f"messages sent {report['messages sent']}, sessions {report['sessions']}")
    print("outside faults: " + json.dumps(report["outside faults"]))
    for kind, outcomes in sorted(report["during faults"].items()):
        print(f"during {kind}: " + json.dumps(outcomes))
    for item in report["promotion"]:
        print(f"{item['kind']}: the sentinels promoted a replica after {item['promoted after']} s")
    for item in report["recovery"]:
        print(f"{item['kind']} ({item['length']} s): messages cross again {item['crossing again after heal']} s "
              f"after it healed, {item['crossing again after start']} s after it began")
    for invariant, found in report["violations"].items():
        print(f"{invariant}: {len(found)} violation(s)")
        for line in found[:10]:
            print("   " + line)


def summarize(paths):
    """The RELIABILITY.md table from the reports of several runs (--report)."""
    reports = [json.load(open(p)) for p in paths]
    kinds = SENTINEL_KINDS
    invariants = ["names unique", "no duplicates", "per-sender order", "nothing lost", "convergence"]
    print("| run | mode | seed | minutes | under faults, s | " + " | ".join(kinds) + " | messages | "
          + " | ".join(invariants) + " |")
    print("|" + "---|" * (5 + len(kinds) + 1 + len(invariants)))
    totals = defaultdict(float)
    for n, r in enumerate(reports, 1):
        row = [str(n), r["mode"], str(r["seed"]), f"{r['duration'] / 60:.1f}", f"{r['seconds under faults']:.0f}"]
        row += [str(r["faults"].get(k, 0)) for k in kinds]
        row += [f"{r['messages sent']:,}"]
        row += [str(len(r["violations"][i])) for i in invariants]
        print("| " + " | ".join(row) + " |")
        totals["minutes"] += r["duration"] / 60
        totals["under"] += r["seconds under faults"]
        totals["messages"] += r["messages sent"]
        for k in kinds:
            totals[k] += r["faults"].get(k, 0)
        for i in invariants:
            totals[i] += len(r["violations"][i])
    row = ["**all**", "", "", f"**{totals['minutes']:.1f}**", f"{totals['under']:.0f}"]
    row += [str(int(totals[k])) for k in kinds] + [f"{int(totals['messages']):,}"]
    row += [f"**{int(totals[i])}**" for i in invariants]
    print("| " + " | ".join(row) + " |")
    outcomes = defaultdict(lambda: defaultdict(int))
    for r in reports:
        for kind, counts in r["during faults"].items():
            for outcome, count in counts.items():
                outcomes[kind][outcome] += count
        for outcome, count in r["outside faults"].items():
            outcomes["(no fault)"][outcome] += count
    print()
    print("| messages sent during | delivered | delivered late (> 1 s) | Offline | lost |")
    print("|---|---:|---:|---:|---:|")
    for kind in kinds + ["(no fault)"]:
        c = outcomes.get(kind)
        if not c:
            continue
        total = sum(c.values())
        cells = [f"{c.get(o, 0):,} ({100 * c.get(o, 0) / total:.1f} %)"
                 for o in ("delivered", "delivered late", "Offline", "lost")]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    recovery = defaultdict(list)
    for r in reports:
        for item in r["recovery"]:
            recovery[item["kind"]].append(item)
    print()
    print("| fault | runs | messages cross again after it healed: median (max) | after it began: median (max) |")
    print("|---|---:|---|---|")
    for kind in kinds:
        items = recovery.get(kind)
        if not items:
            continue
        healed = sorted(i["crossing again after heal"] for i in items)
        began = sorted(i["crossing again after start"] for i in items)
        print(f"| {kind} | {len(items)} | {healed[len(healed) // 2]:.2f} s ({healed[-1]:.2f} s) | "
              f"{began[len(began) // 2]:.2f} s ({began[-1]:.2f} s) |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    w = sub.add_parser("workload")
    w.add_argument("--history", required=True)
    w.add_argument("--seed", type=int, required=True)
    w.add_argument("--clients", type=int, default=4)
    c = sub.add_parser("recheck", help="check a kept run again (its history.jsonl and --report)")
    c.add_argument("history")
    c.add_argument("report")
    m = sub.add_parser("summarize", help="the RELIABILITY.md tables from --report files")
    m.add_argument("reports", nargs="+")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--sentinel", action="store_true", help="Redis behind Sentinel; adds primary-kill")
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--down-after", type=float, default=0.5, help="the sentinels' down-after, seconds")
    parser.add_argument("--clients", type=int, default=4, help="clients per node")
    parser.add_argument("--chatserver", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "..", ".build", "debug", "chatserver"))
    parser.add_argument("--report", help="write the report as JSON here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    # A parent may hand down a mask that blocks signals (swift test does): the workload's
    # SIGUSR1 and SIGTERM, and the processes started here, need them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(signal.Signals))
    if args.command == "recheck":
        old = json.load(open(args.report))
        events = [json.loads(line) for line in open(args.history)]
        faults = old["fault log"]
        report = check(events, faults, args, None, max([f["healed"] for f in faults] or [0]))
        for key in ("seed", "mode", "duration"):
            report[key] = old[key]
        print_report(report)
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
        return 1 if sum(len(v) for v in report["violations"].values()) else 0
    if args.command == "summarize":
        summarize(args.reports)
        return 0
    if args.command == "workload":
        asyncio.run(Workload(args).main())
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
