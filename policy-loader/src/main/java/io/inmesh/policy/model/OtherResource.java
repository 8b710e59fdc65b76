package io.inmesh.policy.model;

/** A resource inmesh parses and keeps but does not enforce yet (reported as such). */
public record OtherResource(ResourceRef ref, String file) implements PolicyResource {}
