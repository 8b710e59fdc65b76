package io.inmesh.bootstrap;

/**
 * Fields the mesh profile's host adds to a class on which an inmesh module registers virtual fields
 * ({@code registerVirtualFields}), as the OpenTelemetry agent injects its own in the traced profile:
 * slot {@code i} is the class's {@code i}-th registered field, read and written through
 * {@code inmesh$get<i>} / {@code inmesh$set<i>}, which the host generates (a getfield or putfield of a
 * volatile field the class gains). Without them a virtual field is a weak map, whose every
 * {@code set} allocates a weak reference the collector must then process: per request on the JDK
 * client's request copies (issue 13, bench/README.md). The defaults are for slots a class does not
 * have; the host never calls them.
 */
public interface InmeshFields {
  /** Slots a class can have; further registered fields stay in weak maps. */
  int SLOTS = 4;

  default Object inmesh$get0() {
    return null;
  }

  default void inmesh$set0(Object value) {}

  default Object inmesh$get1() {
    return null;
  }

  default void inmesh$set1(Object value) {}

  default Object inmesh$get2() {
    return null;
  }

  default void inmesh$set2(Object value) {}

  default Object inmesh$get3() {
    return null;
  }

  default void inmesh$set3(Object value) {}
}
