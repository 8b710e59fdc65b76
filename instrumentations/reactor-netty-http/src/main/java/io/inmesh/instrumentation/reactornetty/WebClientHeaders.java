package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.Mesh;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Mono;

/** Carries a WebClient request's headers to the Reactor Netty layer, in the Reactor context. */
public final class WebClientHeaders {
  private WebClientHeaders() {}

  public static Mono<ClientResponse> carry(ClientRequest request, Mono<ClientResponse> result) {
    if (request == null || result == null) {
      return result;
    }
    try {
      Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      request.headers().forEach((name, values) -> copy.put(name, values == null ? List.of() : new ArrayList<>(values)));
      return result.contextWrite(ctx -> ctx.put(ReactorMeshCall.REQUEST_HEADERS, copy));
    } catch (Throwable t) {
      Mesh.failed("webclient", t);
      return result;
    }
  }
}
