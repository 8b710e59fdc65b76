package io.inmesh.policy.model;

/**
 * Istio HTTPRedirect.
 *
 * @param port null unless given
 * @param derivePort FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT or null
 * @param redirectCode 301 unless given
 */
public record HttpRedirect(
    String uri, String authority, Integer port, String derivePort, String scheme, int redirectCode, String prefixRewrite) {}
