package io.inmesh.policy.model;

import java.util.Map;

/** Istio CorsPolicy, kept as written (inmesh does not apply CORS; reported as such). */
public record CorsPolicy(Map<String, Object> spec) {}
