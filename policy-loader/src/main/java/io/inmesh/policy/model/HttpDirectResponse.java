package io.inmesh.policy.model;

/** Istio HTTPDirectResponse: a fixed answer (body.bytes is decoded from base64 and read as UTF-8). */
public record HttpDirectResponse(int status, String body) {}
