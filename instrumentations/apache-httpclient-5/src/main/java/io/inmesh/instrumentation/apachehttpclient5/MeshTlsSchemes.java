package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.UpstreamTls;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How an mTLS attempt is told apart inside Apache: its route's target carries a scheme of its own,
 * {@code inmesh-mtls-<n>}, one per {@link UpstreamTls} (one per set of server identities the mesh
 * expects). Apache pools connections by route, and a route's target compares by scheme, so TLS
 * connections are pooled apart from plain ones, and apart per expected identity set: a connection
 * verified for one set is never handed to an attempt that expects another (secure naming holds for
 * reused connections). The connection operators look the scheme up in their TLS registry, which the
 * mesh wraps (see {@link TlsOperatorInstrumentation}) to answer it with the mesh's TLS for that set; an unknown
 * {@code inmesh-mtls-*} scheme is answered with a TLS that refuses: never plain text.
 */
public final class MeshTlsSchemes {
  public static final String PREFIX = "inmesh-mtls-";
  private static final int MAX = 4096;
  private static final Map<UpstreamTls, String> SCHEMES = new IdentityHashMap<>();
  private static final Map<String, UpstreamTls> BY_SCHEME = new HashMap<>();
  private static int next;

  private MeshTlsSchemes() {}

  /** The route scheme of attempts that go out with {@code tls}. */
  public static synchronized String scheme(UpstreamTls tls) {
    String s = SCHEMES.get(tls);
    if (s == null) {
      if (SCHEMES.size() >= MAX) {
        // bounded: identity sets come from policy and the registry; a pending connect whose scheme is
        // forgotten is refused (never plain), and its next attempt gets a scheme again
        SCHEMES.clear();
        BY_SCHEME.clear();
      }
      s = PREFIX + ++next;
      SCHEMES.put(tls, s);
      BY_SCHEME.put(s, tls);
    }
    return s;
  }

  /** True for a scheme the mesh made: the connection must be mesh mTLS. */
  public static boolean isMesh(String scheme) {
    return scheme != null && scheme.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
  }

  /** The mesh TLS of a mesh scheme, or null when it is not (or no longer) known. */
  public static synchronized UpstreamTls tls(String scheme) {
    return scheme == null ? null : BY_SCHEME.get(scheme.toLowerCase(Locale.ROOT));
  }
}
