package io.inmesh.instrumentation.reactornetty;

import io.inmesh.bootstrap.Mesh;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Mono;

/** Carries a Spring client request's headers to the Reactor Netty layer (WebClient: in the Reactor context). */
public final class WebClientHeaders {
  private WebClientHeaders() {}

  /** A case-insensitive copy of Spring's headers (Spring 6 and 7). */
  public static Map<String, List<String>> copy(org.springframework.http.HttpHeaders headers) {
    Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (headers != null) {
      headers.forEach((name, values) -> copy.put(name, values == null ? List.of() : new ArrayList<>(values)));
    }
    return copy;
  }

  public static Mono<ClientResponse> carry(ClientRequest request, Mono<ClientResponse> result) {
    if (request == null || result == null) {
      return result;
    }
    try {
      Map<String, List<String>> copy = copy(request.headers());
      return result.contextWrite(ctx -> ctx.put(ReactorMeshCall.REQUEST_HEADERS, copy));
    } catch (Throwable t) {
      Mesh.failed("webclient", t);
      return result;
    }
  }
}
