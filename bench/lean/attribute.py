#!/usr/bin/env python3
"""Attributes a JFR recording's execution samples (jdk.ExecutionSample) to who asked for the work.

Usage: attribute.py RECORDING.jfr [JFR_BINARY]

Each sample is charged to the innermost frame that belongs to one of the categories below, walking
from the top of the stack (the running method) towards the thread's root; JDK frames (java., jdk.,
sun.) are charged to whoever called them, so a HashMap lookup inside OpenTelemetry's context code is
OpenTelemetry's, and the JDK HttpClient's own work under the application's send() is the
application's. Samples with no such frame at all (the HttpClient selector thread, the HttpServer
dispatcher) are "JDK threads". Advice inlined by Byte Buddy runs inside the instrumented JDK method
and is invisible as a frame: only the helpers it calls are counted.
"""
import collections
import re
import subprocess
import sys

CATEGORIES = [
    # (name, predicate on the frame's qualified method name)
    ("logging", lambda f: f.startswith(("java.util.logging.", "org.slf4j.", "ch.qos.logback.", "org.apache.logging."))
        or ".logging." in f and f.startswith("io.opentelemetry.") or re.match(r"io\.inmesh\.[\w.]*\.(AccessLog|Log)\w*\.", f) is not None),
    ("otel context/propagation", lambda f: f.startswith("io.opentelemetry.") and (".context." in f or "propagat" in f.lower() or "Propagat" in f or "W3C" in f or ".Context" in f)),
    ("otel instrumenter/spans/sdk", lambda f: f.startswith("io.opentelemetry.") and (".instrumenter." in f or ".sdk." in f or ".trace." in f or ".semconv." in f or "Instrumenter" in f or "Span" in f)),
    ("otel advice helpers/bootstrap/other", lambda f: f.startswith("io.opentelemetry.")),
    ("inmesh adapters", lambda f: f.startswith("io.inmesh.instrumentation.")),
    ("inmesh route decision + engine", lambda f: f.startswith(("io.inmesh.agent.", "io.inmesh.bootstrap.", "io.inmesh.policy", "io.inmesh.launcher."))),
    ("application (bench app + the JDK client/server work it asks for)", lambda f: f.startswith("io.inmesh.bench.")),
]
JDK_THREADS = "JDK threads (HttpClient selector, HttpServer dispatcher, ...)"
JDK = ("java.", "jdk.", "sun.", "com.sun.", "javax.")
# Adapter frames that stand in for the library call the application made (inmesh's blocking send
# runs the client's own send per attempt): the JDK work beneath them is the application's client
# work, as it is without a mesh; only their own code (the frame on top) is the adapter's.
# The same for the adapter's body subscriber wrapper (AttemptHandler$Ending): it hands every body
# signal to the application's own subscriber, so the JDK's body work beneath it (decoding the
# body, completing the response future) is the application's, as it is without a mesh (issue 13,
# item 3: before this it was charged to the adapter, 1.4 % of the meshed frontend's samples).
PASS_THROUGH = {"io.inmesh.instrumentation.javahttpclient.JdkMeshCall.runBlocking", "io.inmesh.instrumentation.javahttpclient.JdkMeshCall.start"} | {
    "io.inmesh.instrumentation.javahttpclient.AttemptHandler$Ending." + m for m in ("onSubscribe", "onNext", "onError", "onComplete")}


def events(text):
    ev = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("jdk.ExecutionSample"):
            ev = {"frames": [], "thread": ""}
        elif ev is None:
            continue
        elif s.startswith("sampledThread"):
            ev["thread"] = s.split("=", 1)[1].strip()
        elif s.startswith("stackTrace") or s.startswith("state") or s.startswith("startTime") or s == "]":
            pass
        elif s == "}":
            yield ev
            ev = None
        elif "line:" in s or s.endswith(")"):
            m = re.match(r"([\w$.<>]+)\(", s)
            if m:
                ev["frames"].append(m.group(1))


def category(frames):
    for i, f in enumerate(frames):
        if f.startswith(JDK) and not f.startswith("java.util.logging."):
            continue
        if i > 0 and f in PASS_THROUGH:
            continue
        for name, pred in CATEGORIES:
            if pred(f):
                return name, f
        return "other: " + ".".join(f.split(".")[:3]), f
    return JDK_THREADS, frames[0] if frames else "?"


def main():
    jfr = sys.argv[2] if len(sys.argv) > 2 else "jfr"
    text = subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample", "--stack-depth", "256", sys.argv[1]],
                          capture_output=True, text=True, check=True).stdout
    by_cat = collections.Counter()
    by_frame = collections.defaultdict(collections.Counter)
    total = 0
    for ev in events(text):
        total += 1
        c, f = category(ev["frames"])
        by_cat[c] += 1
        by_frame[c][f] += 1
    print(f"{total} execution samples")
    for c, n in by_cat.most_common():
        print(f"{100.0 * n / total:5.1f} %  {n:6d}  {c}")
        for f, k in by_frame[c].most_common(6):
            print(f"           {k:6d}  {f}")


if __name__ == "__main__":
    main()
