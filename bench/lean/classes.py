#!/usr/bin/env python3
"""Counts the classes of a -Xlog:class+load:file=F:uptime log by who brought them, and times the
premain: from the JVM's start to the first class of the agent, and to the application's main class.

Usage: classes.py CLASSLOAD.log [MAIN_CLASS]
"""
import collections
import re
import sys

GROUPS = [
    ("inmesh engine + policy (+ shaded Jackson/SnakeYAML/resilience4j)", ("io.inmesh.agent.", "io.inmesh.policy", "io.inmesh.shaded.", "io.inmesh.launcher.", "io.inmesh.bootstrap.")),
    ("inmesh adapters", ("io.inmesh.instrumentation.",)),
    ("OTel: Byte Buddy (agent's copy)", ("net.bytebuddy.", "io.opentelemetry.javaagent.shaded.net.bytebuddy.")),
    ("OTel: javaagent tooling + bootstrap", ("io.opentelemetry.javaagent.tooling.", "io.opentelemetry.javaagent.bootstrap.", "io.opentelemetry.javaagent.OpenTelemetryAgent", "io.opentelemetry.javaagent.extension.", "io.opentelemetry.javaagent.shaded.instrumentation.api.", "io.opentelemetry.javaagent.shaded.io.opentelemetry.instrumentation.")),
    ("OTel: instrumentation modules + advice", ("io.opentelemetry.javaagent.instrumentation.", "io.opentelemetry.javaagent.shaded.instrumentation.")),
    ("OTel: SDK + autoconfigure + exporters", ("io.opentelemetry.sdk.", "io.opentelemetry.exporter.", "io.opentelemetry.javaagent.shaded.io.opentelemetry.sdk.")),
    ("OTel: API + context", ("io.opentelemetry.api.", "io.opentelemetry.context.", "io.opentelemetry.javaagent.shaded.io.opentelemetry.api.", "io.opentelemetry.javaagent.shaded.io.opentelemetry.context.")),
    ("OTel: other (resources, semconv, incubator, ...)", ("io.opentelemetry.",)),
    ("other libraries in the agent (Jackson, okhttp, kotlin, slf4j, ...)", ("com.fasterxml.", "okhttp3.", "okio.", "kotlin.", "org.slf4j.", "io.opentelemetry.javaagent.slf4j.", "org.objectweb.", "com.google.", "org.yaml.", "zipkin2.")),
    ("JDK: lambdas, method handles, proxies (generated)", ("java.lang.invoke.LambdaForm$", "jdk.proxy", "com.sun.proxy.")),
    ("JDK", ("java.", "javax.", "jdk.", "sun.", "com.sun.")),
    ("application", ("io.inmesh.bench.",)),
]
LINE = re.compile(r"\[(\d+\.\d+)s\].*?\s([\w$./]+) source: (.*)")


def group(name):
    if "$$Lambda" in name or "$Lambda$" in name:
        return "JDK: lambdas, method handles, proxies (generated)"
    for g, prefixes in GROUPS:
        if name.startswith(prefixes):
            return g
    return "other"


def main():
    main_class = sys.argv[2] if len(sys.argv) > 2 else "io.inmesh.bench.apps.JdkBackend"
    counts = collections.Counter()
    shared = 0
    first_agent = main_at = last = None
    total = 0
    for line in open(sys.argv[1]):
        m = LINE.match(line)
        if not m:
            continue
        t, name, source = float(m.group(1)), m.group(2), m.group(3)
        total += 1
        last = t
        counts[group(name)] += 1
        if "shared objects file" in source:
            shared += 1
        if first_agent is None and name.startswith(("io.inmesh.launcher.", "io.opentelemetry.javaagent.")):
            first_agent = t
        if name == main_class:
            main_at = t
    print(f"{total} classes loaded ({shared} from the CDS archive); last at {last:.2f} s")
    if first_agent is not None and main_at is not None:
        print(f"agent's first class at {first_agent:.2f} s, main class at {main_at:.2f} s: premain ~{main_at - first_agent:.2f} s")
    elif main_at is not None:
        print(f"main class at {main_at:.2f} s")
    for g, n in counts.most_common():
        print(f"  {n:6d}  {g}")


if __name__ == "__main__":
    main()
