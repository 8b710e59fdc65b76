package io.inmesh.policy.model;

import java.util.Map;

/**
 * One {@code match[]} block of an HTTP route: every condition set here must hold (AND); the blocks
 * of a route are OR'd. A header mapped to null means "present with any value" ({@code {}} in
 * Istio).
 */
public record HttpMatch(
    String name, StringMatch uri, StringMatch method, Map<String, StringMatch> headers) {}
