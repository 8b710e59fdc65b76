package io.inmesh.control.api;

import io.inmesh.control.EventLog;
import io.inmesh.control.ca.CertificateAuthority;
import io.inmesh.control.ca.CertificateProof;
import io.inmesh.control.ca.CsrCheck;
import io.inmesh.control.ca.IdentityAuthority;
import io.inmesh.control.ca.Pem;
import io.inmesh.policy.identity.SpiffeId;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Certificates for workloads. {@code POST /v1/certificate} {@code {"csr": PEM}} signs the CSR for
 * the identity the caller proved: a TLS client certificate, a join token ({@code Authorization:
 * Bearer}), or for renewal over any channel {@code "proof": {"chain": [PEM...], "signature": base64}}
 * (the current certificate and a signature with its key over the CSR text). {@code GET
 * /v1/trust-bundle} gives the roots in force, to anyone.
 */
public final class IdentityApi {

  private static final int MAX_BODY = 64 * 1024;
  private static final String HINT =
      "POST {\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----...\"} with Authorization: Bearer <join token>, or over TLS with the current client certificate";

  private final IdentityAuthority authority;
  private final Clock clock;
  private final EventLog log;

  public IdentityApi(IdentityAuthority authority, Clock clock, EventLog log) {
    this.authority = authority;
    this.clock = clock;
    this.log = log;
  }

  public void routes(ApiServer api) {
    api.route("POST", "/v1/certificate", this::certificate).route("GET", "/v1/trust-bundle", this::trustBundle);
  }

  void certificate(HttpCall call) throws IOException {
    JsonFields body = call.jsonBody(MAX_BODY);
    String csr = body.requiredString("csr", HINT);
    CertificateAuthority ca = authority.ca();
    SpiffeId proven = call.caller().identity();
    String proof = call.caller().proof();
    if (proven == null && body.raw().get("proof") instanceof Map<?, ?> p) {
      List<X509Certificate> chain = new ArrayList<>();
      if (p.get("chain") instanceof List<?> pems) {
        for (Object o : pems) {
          chain.addAll(Pem.readCertificates(String.valueOf(o), "proof.chain"));
        }
      }
      try {
        proven = CertificateProof.identityOf(chain, ca.roots(), clock.instant());
        CertificateProof.checkPossession(chain.get(0), csr, String.valueOf(p.get("signature")));
        proof = "current certificate";
      } catch (CsrCheck.Refused e) {
        throw new ApiException(403, "renewal refused: " + e.getMessage(), "start over with a join token");
      }
    }
    if (proven == null) {
      throw new ApiException(401, "no credential: a certificate is signed only for an identity the caller proves", HINT);
    }
    CertificateAuthority.Issued issued;
    try {
      issued = ca.sign(csr, proven);
    } catch (CsrCheck.Refused e) {
      log.info("ca: refused a CSR from a caller proving " + proven + ": " + e.getMessage());
      throw new ApiException(403, "CSR refused: " + e.getMessage(), "the CSR's only SAN must be the URI " + proven.uri());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("identity", proven.uri());
    out.put("expires", issued.expires().toString());
    out.put("chain", issued.chain().stream().map(Pem::certificate).toList());
    out.put("roots", ca.roots().stream().map(Pem::certificate).toList());
    log.info("ca: signed " + proven + " until " + issued.expires() + " (proved by " + proof + ")");
    call.json(200, out);
  }

  void trustBundle(HttpCall call) throws IOException {
    CertificateAuthority ca = authority.ca();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trustDomain", ca.trustDomain());
    out.put("roots", ca.roots().stream().map(Pem::certificate).toList());
    call.json(200, out);
  }
}
