package io.inmesh.policy.compile;

import java.util.Map;

/** The workload a snapshot is compiled for (the caller's point of view). */
public record Workload(String service, String namespace, Map<String, String> labels) {}
