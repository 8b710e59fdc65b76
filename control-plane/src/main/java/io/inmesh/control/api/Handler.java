package io.inmesh.control.api;

import java.io.IOException;

/** One API operation. Throws {@link ApiException} to refuse a request. */
@FunctionalInterface
public interface Handler {
  void handle(HttpCall call) throws IOException, InterruptedException;
}
