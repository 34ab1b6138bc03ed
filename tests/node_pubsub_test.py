"""Pub/Sub and keyspace notifications through real Node clients: ioredis 5 (RESP2) and node-redis 5
(RESP3, push frames), driven by tests/node/pubsub_clients.js against the server under test and a
stock redis-server in the same test; the two JSON documents it prints must be equal.

The scenario (see the script): SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE, commands on the subscribed
connection, PUBSUB NUMSUB/NUMPAT/CHANNELS/SHARDCHANNELS/SHARDNUMSUB, 200 PUBLISHes (mixed sizes up
to 70 KB, binary and unicode payloads, half pipelined) with SPUBLISHes between them, UNSUBSCRIBE of
one channel and of everything, then notify-keyspace-events KEA with data commands. Besides the
comparison, the messages received are checked against a model of the subscriptions (each one, in
order, nothing else), and the two clients must have seen the same messages and events.

The npm packages are installed by scripts/setup-node.sh into build/node/node_modules; its failure
(e.g. no npm registry) fails this test class, it is not skipped.
Every expectation is checked against Redis 7.0 with DATA_TARGET=redis (both servers are Redis)."""
import fnmatch
import json
import os
import shutil
import subprocess
import threading
import unittest

from differential import RedisServer, start_server
from framework_util import setup_node
from stashd import ROOT, stop_server

SCRIPT = os.path.join(ROOT, "tests", "node", "pubsub_clients.js")
NODE_MODULES = os.path.join(ROOT, "build", "node", "node_modules")
RUN_TIMEOUT = 40  # the script stops itself after 20 s


def run_clients(port, which):
    """Runs the script against port; returns (returncode, stdout, stderr)."""
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    r = subprocess.run([shutil.which("node") or "node", SCRIPT, str(port), which], env=env,
                       capture_output=True, timeout=RUN_TIMEOUT)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def first_difference(a, b, path="$"):
    """The path of the first place where two JSON values differ and both values there, or None."""
    if type(a) is not type(b):
        return path, a, b
    if isinstance(a, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b:
                return "%s.%s" % (path, k), a.get(k, "<missing>"), b.get(k, "<missing>")
            d = first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        if len(a) != len(b):
            return "%s (length)" % path, len(a), len(b)
        return None
    return None if a == b else (path, a, b)


def expected_messages(publications, channels, patterns, shard):
    """What one subscriber receives for publications [kind, channel, payload, ...] in order:
    the message of a subscribed channel, then a pmessage per matching pattern (the scenario's
    channels match at most one pattern: Redis walks the patterns in hash order); smessages."""
    out = []
    for kind, channel, data in publications:
        if kind == "spublish":
            if channel in shard:
                out.append(["smessage", None, channel, data])
            continue
        if channel in channels:
            out.append(["message", None, channel, data])
        for p in patterns:
            if fnmatch.fnmatchcase(channel, p):
                out.append(["pmessage", p, channel, data])
    return out


class NodePubSubTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        setup_node()

    def run_both(self, which):
        """The script's documents from the server under test and from a stock Redis, run at the
        same time (each on its own server)."""
        server = start_server()
        try:
            redis = RedisServer()
            try:
                results = {}

                def run(name, port):
                    results[name] = run_clients(port, which)

                threads = [threading.Thread(target=run, args=("server", server.port)),
                           threading.Thread(target=run, args=("redis", redis.port))]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            finally:
                redis.stop()
        finally:
            stop_server(server)
        docs = {}
        for name in ("redis", "server"):
            rc, out, err = results[name]
            self.assertEqual(rc, 0, "node clients against %s exited %d:\n%s\n%s" % (
                name, rc, err[-3000:], out[-1000:]))
            docs[name] = json.loads(out)
        return docs["server"], docs["redis"]

    def check(self, which, key):
        got, expected = self.run_both(which)
        diff = first_difference(got, expected)
        self.assertIsNone(diff, "server and Redis differ at %s:\n server: %s\n redis:  %s" % (
            diff[0], json.dumps(diff[1])[:2000], json.dumps(diff[2])[:2000]) if diff else "")
        doc = got[key]
        self.check_model(doc)
        return doc

    def check_model(self, doc):
        setup = doc["setup"]
        channels, patterns, shard = setup["channels"], setup["patterns"], setup["shard"]
        burst = doc["burst"]
        pubs = burst["published"]
        self.assertEqual(len([p for p in pubs if p[0] == "publish"]), setup["n"])
        self.assertEqual(len([p for p in pubs if p[0] == "spublish"]), setup["n"] // 10)
        # Every PUBLISH's reply counts its receivers: one subscriber, one pattern subscriber.
        for kind, channel, data, receivers in pubs:
            self.assertEqual(receivers, len(expected_messages([[kind, channel, data]], channels,
                                                              patterns, shard)), (kind, channel))
        sent = [p[:3] for p in pubs] + [["publish", "sentinel", "burst"]]
        want = expected_messages(sent, channels, patterns, shard)
        got = burst["received"]
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(g, w, "message %d of %d" % (i, len(want)))
        self.assertEqual(len(got), len(want), "messages received")
        self.assertGreater(sum(1 for m in got if m[0] == "message"), setup["n"] // 2)
        self.assertGreater(sum(1 for m in got if m[0] == "pmessage"), setup["n"] // 2)
        self.assertEqual(sum(1 for m in got if m[0] == "smessage"), setup["n"] // 10)
        self.assertTrue(any(isinstance(m[3], dict) and "sha256" in m[3] for m in got))
        self.assertTrue(any(isinstance(m[3], dict) and "hex" in m[3] for m in got))
        unicode = ["message", None, "chan:b",
                   "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001f389 #1"]
        self.assertTrue(unicode in got, unicode)
        self.assertTrue(any(m[2] == "chan:\u00e9" for m in got))

        # After UNSUBSCRIBE chan:b: chan:b only through its pattern.
        one = doc["unsubscribeOne"]
        left = [c for c in channels if c != "chan:b"]
        sent = [["publish", c, "after-" + c] for c, _ in one["published"]] + \
            [["publish", "sentinel", "unsubscribed"]]
        self.assertEqual(one["received"], expected_messages(sent, left, patterns, shard))
        self.assertEqual([n for _, n in one["published"]], [1, 2, 1])
        self.assertEqual(one["numsub"], ["chan:a", 1, "chan:b", 0])

        every = doc["unsubscribeAll"]
        self.assertEqual(every["publish"], 0)
        self.assertEqual(every["numpat"], 0)
        self.assertEqual(every["afterwards"]["object"],
                         [["set", "OK"], ["get", "1"], ["ping", "PONG"]])
        self.assertEqual(doc["stray"], [])

        intro = doc["introspection"]
        self.assertEqual(intro["numpat"], len(patterns))
        self.assertEqual(intro["channels"], sorted(channels))
        self.assertEqual(intro["shardchannels"], shard)
        self.assertEqual(intro["shardnumsub"], [shard[0], 1, "nope", 0])

        ks = doc["keyspace"]
        events = ks["events"]
        self.assertEqual(len(events) % 2, 0)
        for space, event in zip(events[::2], events[1::2]):  # each event on both channels
            key, name = space[1].split(":", 1)[1], space[2]
            self.assertEqual(space[0], "__keyspace@0__:*")
            self.assertEqual(event, ["__keyevent@0__:*", "__keyevent@0__:" + name, key])
        names = [(e[1].split(":", 1)[1], e[2]) for e in events[::2]]
        for want in [("ks:str", "set"), ("ks:h", "hset"), ("ks:s", "sadd"), ("ks:n", "del"),
                     ("ks:s", "del"), ("ks:tmp", "expire"), ("ks:\u00e9", "set"),
                     ("ks:str", "rename_from"), ("ks:str2", "rename_to")]:
            self.assertIn(want, names)
        self.assertEqual(names.count(("ks:gone", "expired")), 1)
        self.assertEqual(names.count(("ks:s", "sadd")), 1)  # the second SADD added nothing

    def test_resp2_ioredis(self):
        doc = self.check("resp2", "resp2_ioredis")
        sub = doc["subscribe"]
        self.assertEqual(sub["subscribe"], 4)
        self.assertEqual(sub["psubscribe"], [5, 6])
        self.assertEqual(sub["ssubscribe"], 1)
        self.assertEqual(sub["onSubscribedConnection"]["object"],
                         [["ping", ["pong", ""]], ["pingArg", ["pong", "hi \u00e9"]]])
        self.assertEqual(doc["unsubscribeOne"]["unsubscribe"], 5)

    def test_resp3_node_redis(self):
        doc = self.check("resp3", "resp3_node_redis")
        sub = doc["subscribe"]
        calls = dict(sub["onSubscribedConnection"]["object"])
        self.assertEqual(calls["ping"], "PONG")
        self.assertEqual(calls["pingArg"], "hi \u00e9")
        self.assertIsNone(calls["get"])
        self.assertEqual(calls["numsub"], ["chan:a", 1])
        self.assertEqual(calls["selfPublish"], 2)
        self.assertEqual(sub["received"], [["message", None, "chan:a", "self"],
                                           ["pmessage", "chan:*", "chan:a", "self"]])
        self.assertEqual(doc["keyspace"]["config"][1],
                         {"object": [["notify-keyspace-events", "AKE"]]})

    def test_both_clients_see_the_same(self):
        """One process, both clients one after the other on the same server: the same messages
        and keyspace events whatever the protocol."""
        got, _ = self.run_both("all")
        two, three = got["resp2_ioredis"], got["resp3_node_redis"]
        self.assertEqual(two["burst"], three["burst"])
        self.assertEqual(two["unsubscribeOne"]["received"], three["unsubscribeOne"]["received"])
        self.assertEqual(two["keyspace"]["events"], three["keyspace"]["events"])
        self.assertEqual(two["keyspace"]["replies"], three["keyspace"]["replies"])
        self.assertEqual(two["introspection"]["numsub"], three["introspection"]["numsub"])


if __name__ == "__main__":
    unittest.main()
