package io.inmesh.policy.model;

/** Where a route sends traffic: a service host, optionally a subset and a port. */
public record Destination(String host, String subset, Integer port) {}
