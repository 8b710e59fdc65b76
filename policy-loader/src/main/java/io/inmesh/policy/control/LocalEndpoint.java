package io.inmesh.policy.control;

import java.util.List;

/** This workload's endpoint as the agent learned it from the application's listeners. */
public interface LocalEndpoint {

  /** The address to register, or null while the application listens on nothing (client only). */
  String address();

  /** Every listening port; the first is the primary one. */
  List<Integer> ports();
}
