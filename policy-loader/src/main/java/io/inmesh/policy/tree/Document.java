package io.inmesh.policy.tree;

/**
 * One parsed document: a plain tree (Map, List, String, Long, Double, Boolean, null) plus the
 * lines it came from.
 *
 * @param root the top-level value (a Map for a resource)
 * @param line the line where the document starts (1-based; 0 when unknown)
 */
public record Document(Object root, Locations locations, int line) {}
