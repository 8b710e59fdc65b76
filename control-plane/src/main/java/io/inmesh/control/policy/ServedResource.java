package io.inmesh.control.policy;

import io.inmesh.policy.model.ResourceRef;
import java.util.Map;

/**
 * A resource as the snapshot carries it.
 *
 * @param wireTree the document with {@code "file"} added and {@code metadata.namespace} made
 *     explicit (the agent binds with its own default namespace, so the control plane's default must
 *     travel with the resource)
 */
public record ServedResource(ResourceRef ref, Map<String, Object> wireTree) {}
