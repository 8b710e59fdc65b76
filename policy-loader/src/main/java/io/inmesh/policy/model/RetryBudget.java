package io.inmesh.policy.model;

import java.time.Duration;

/** Istio TrafficPolicy.RetryBudget (and the mesh default): 20%, at least 3 concurrent retries. */
public record RetryBudget(double percent, int minRetryConcurrency, Duration budgetInterval) {
  public static final RetryBudget DEFAULT = new RetryBudget(20.0, 3, Duration.ZERO);
}
