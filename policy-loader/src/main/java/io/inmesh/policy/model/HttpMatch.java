package io.inmesh.policy.model;

import java.util.List;
import java.util.Map;

/**
 * One {@code match[]} block of an HTTP route: every condition set here must hold (AND); the blocks
 * of a route are OR'd. A header (or query parameter) mapped to null means "present with any value"
 * ({@code {}} in Istio). {@code sourceLabels}, {@code sourceNamespace} and {@code gateways} are
 * selectors, not runtime matches: they decide whether the block applies to a workload at all.
 *
 * @param port 0 when not given
 * @param sourceLabels empty when not given
 * @param gateways empty when not given (then the VirtualService's gateways decide)
 */
public record HttpMatch(
    String name,
    StringMatch uri,
    StringMatch scheme,
    StringMatch method,
    StringMatch authority,
    Map<String, StringMatch> headers,
    Map<String, StringMatch> queryParams,
    Map<String, StringMatch> withoutHeaders,
    boolean ignoreUriCase,
    int port,
    Map<String, String> sourceLabels,
    String sourceNamespace,
    List<String> gateways,
    String statPrefix) {

  /** The original shape (uri, method, headers), kept for callers that build matches by hand. */
  public HttpMatch(String name, StringMatch uri, StringMatch method, Map<String, StringMatch> headers) {
    this(name, uri, null, method, null, headers, Map.of(), Map.of(), false, 0, Map.of(), null, List.of(), null);
  }

  /** True when the block has no runtime condition (it matches every request it applies to). */
  public boolean matchesEverything() {
    return uri == null
        && scheme == null
        && method == null
        && authority == null
        && headers.isEmpty()
        && queryParams.isEmpty()
        && withoutHeaders.isEmpty()
        && port == 0;
  }
}
