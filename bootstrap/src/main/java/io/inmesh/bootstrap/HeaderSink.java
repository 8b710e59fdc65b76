package io.inmesh.bootstrap;

/** Header edits on a request or response, in the library's own header structure. */
public interface HeaderSink {
  /** Replaces every value of {@code name}. */
  void set(String name, String value);

  /** Appends a value. */
  void add(String name, String value);

  void remove(String name);
}
