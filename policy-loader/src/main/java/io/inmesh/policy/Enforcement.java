package io.inmesh.policy;

/**
 * What this inmesh version does with each Istio feature it parses, in one place, so that every
 * "parsed but not enforced" warning says exactly what happens instead, and so that the stage that
 * starts enforcing a feature flips one flag here and its warning disappears everywhere the binder
 * runs ({@code ./inmesh validate}, the control plane's log and API).
 *
 * <p>Enforced without a flag here (the route table applies them): VirtualService hosts, exportTo,
 * gateways ({@code mesh}), every {@code match} condition, weighted destinations, subsets,
 * destination ports, directResponse status, delegate; DestinationRule subsets, exportTo,
 * workloadSelector and {@code loadBalancer.simple} ROUND_ROBIN/RANDOM; ServiceEntry hosts, ports,
 * STATIC endpoints and DNS/NONE pass-through.
 */
public enum Enforcement {
  TIMEOUT(true, "the agent does not cut calls off yet; the timeout is compiled and exposed on the route decision"),
  RETRIES(true, "the agent does not retry yet; the retry policy is compiled and exposed on the route decision"),
  FAULT(true, "the agent does not inject delays or aborts yet; the fault is compiled and exposed on the route decision"),
  MIRROR(true, "the agent does not mirror yet; the mirror destinations are compiled and exposed on the route decision"),
  REWRITE(true, "the agent does not rewrite the path or authority yet; calls go out as the application wrote them"),
  REDIRECT(
      true,
      "the agent answers requests matching this rule with the redirect status but without a Location header until it"
          + " sends redirects"),
  DIRECT_RESPONSE_BODY(
      true,
      "the agent answers with this status but an empty body until its local responder carries custom bodies"),
  HEADERS(true, "the agent does not add, set or remove headers yet; calls and responses keep their headers"),
  /**
   * connectionPool {@code http.maxRequestsPerConnection}, {@code http.idleTimeout},
   * {@code tcp.idleTimeout} and {@code tcp.maxConnectionDuration}: the JDK HttpClient and
   * HttpURLConnection adapters close an HTTP/1.1 connection after its last allowed request or once
   * it is older than the duration, and do not reuse one idle for longer (ConnectionLifetimeSmokeTest).
   */
  CONNECTION_REUSE(
      true,
      "the client library's own connection reuse and keep-alive timeouts apply"),
  CONNECTION_LIFETIME(
      false,
      "the client library's own TCP and HTTP/2 settings apply (tcpKeepalive, h2UpgradePolicy, http2KeepAlive,"
          + " maxConcurrentStreams)"),
  LOCALITY_LB(false, "inmesh balances over every endpoint of the destination; locality and warm-up settings are ignored"),
  MESH_RETRY_BUDGET(false, "a mesh-wide retryBudget is not applied; set retryBudget in a DestinationRule's trafficPolicy"),
  CORS(false, "inmesh does not apply CORS; preflight requests reach the application"),
  TCP_TLS_ROUTES(false, "inmesh routes HTTP only; tcp and tls routes are ignored"),
  LOAD_BALANCER(true, "inmesh balances round robin until the agent's balance stage implements this policy"),
  CONNECTION_POOL(true, "the agent does not limit connections or pending requests yet"),
  OUTLIER_DETECTION(true, "the agent does not eject endpoints yet"),
  CLIENT_TLS(
      true,
      "DestinationRule tls DISABLE and ISTIO_MUTUAL (auto mTLS otherwise) are applied by every meshed client: the JDK"
          + " HttpClient, HttpURLConnection, OkHttp, Apache HttpClient 5.4+/async/4.5, Reactor Netty and Jetty's HttpClient"),
  /**
   * DestinationRule tls SIMPLE/MUTUAL (caCertificates, clientCertificate/privateKey, sni, subjectAltNames,
   * insecureSkipVerify): every meshed client originates TLS for an {@code http://} call to the
   * endpoint, through the same path as its mesh mTLS (the JDK HttpClient, HttpURLConnection, OkHttp 4.12
   * and 5.x, Apache HttpClient 5.4+ classic, 5.x async (HTTP/1.1 builders) and 4.5, Reactor Netty and
   * WebClient, Jetty's HttpClient 12), each pooling those connections apart per rule; a failed
   * verification or an unusable file is 503 UF, never plain text (TlsOriginationSmokeTest). Apache classic
   * 5.1–5.3 and the HTTP/2-only async builder refuse such calls (UF) rather than send them in plain text.
   * Enforced: no warning; the text says what happens, for the record.
   */
  CLIENT_TLS_ORIGINATION(
      true,
      "DestinationRule tls SIMPLE/MUTUAL are originated by every meshed client (the JDK HttpClient,"
          + " HttpURLConnection, OkHttp, Apache HttpClient 5.4+/async/4.5, Reactor Netty and Jetty's HttpClient);"
          + " Apache classic 5.1-5.3 and the HTTP/2-only async builder refuse such calls rather than send them in plain"
          + " text"),
  CLIENT_TLS_CREDENTIAL_NAME(
      false,
      "inmesh reads no Kubernetes secrets: give clientCertificate, privateKey and caCertificates as files; with"
          + " credentialName alone, MUTUAL presents no certificate and the JVM's default roots verify the server"),
  CLIENT_TLS_CRL(false, "certificate revocation lists are not checked when the agent originates TLS"),
  SERVICE_ENTRY_SUBJECT_ALT_NAMES(
      false,
      "a ServiceEntry's subjectAltNames are not checked; put them in the DestinationRule's tls.subjectAltNames"),
  TUNNEL(false, "inmesh does not tunnel"),
  RETRY_BUDGET(true, "the agent does not retry yet, so there is no budget to apply"),
  /**
   * Enforced by the JDK HttpServer, Tomcat's NIO connector (9, 10.1, 11), Jetty 12, Undertow 2.3 and
   * Reactor Netty's HttpServer (STRICT, PERMISSIVE on one port, DISABLE, portLevelMtls). Tomcat's NIO2/APR connectors cannot terminate mesh mTLS: there STRICT
   * still holds (the inbound valve closes every plain request unanswered), and PERMISSIVE serves plain
   * text only.
   */
  PEER_AUTHENTICATION(
      true,
      "enforced by the JDK HttpServer, Tomcat's NIO connector, Jetty 12, Undertow and Reactor Netty's HttpServer;"
          + " Tomcat's NIO2/APR connectors refuse plain text under STRICT but cannot terminate mTLS"),
  AUTHORIZATION(true, "every server adapter's inbound stage enforces AuthorizationPolicy"),
  CUSTOM_AUTHORIZATION(
      false,
      "inmesh has no external authorization providers: a request a CUSTOM policy matches is denied (403), as Istio"
          + " denies when the provider is missing"),
  REQUEST_AUTHENTICATION(
      false,
      "inmesh does not validate JWTs yet (RequestAuthentication comes later): no request has a request principal or"
          + " request.auth.* attributes"),
  MESH_DEFAULTS(true, "the agent does not retry or eject yet; the defaults are compiled and exposed on the route table"),
  STARTUP_WAIT(false, "the agent reads INMESH_STARTUP_WAIT before any policy arrives; this value is only exposed"),
  DNS_ENDPOINTS(
      false,
      "the agent connects where the application addressed the call (the library resolves the host name);"
          + " endpoints with other host names are not used yet");

  private final boolean enforced;
  private final String instead;

  Enforcement(boolean enforced, String instead) {
    this.enforced = enforced;
    this.instead = instead;
  }

  public boolean enforced() {
    return enforced;
  }

  /** What happens instead, for the warning. */
  public String instead() {
    return instead;
  }

  /** The warning text for a field that uses this feature. */
  public String notEnforcedMessage() {
    return "parsed but not enforced by this inmesh version: " + instead;
  }
}
