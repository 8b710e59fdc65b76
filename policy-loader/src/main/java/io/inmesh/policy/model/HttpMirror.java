package io.inmesh.policy.model;

/** One mirror target ({@code mirror} + {@code mirrorPercentage}, or an item of {@code mirrors}); 100% unless given. */
public record HttpMirror(Destination destination, double percentage) {}
