package io.inmesh.policy.compile;

import io.inmesh.policy.model.PolicyResource;
import java.util.List;
import java.util.Map;

/**
 * What the control plane hands a workload: validated policy resources (in file order) and the
 * registry of service endpoints, under one version.
 */
public record MeshSnapshot(
    String version, long generation, List<PolicyResource> resources, Map<ServiceKey, List<Endpoint>> services) {}
