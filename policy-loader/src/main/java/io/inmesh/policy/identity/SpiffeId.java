package io.inmesh.policy.identity;

import java.util.regex.Pattern;

/**
 * A workload identity as Istio spells it: {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}
 * (https://istio.io/latest/docs/concepts/security/#istio-identity).
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {

  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,253}[a-z0-9])?");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern SERVICE_ACCOUNT = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  public SpiffeId {
    checkTrustDomain(trustDomain);
    if (namespace == null || !DNS_LABEL.matcher(namespace).matches()) {
      throw new IllegalArgumentException("\"" + namespace + "\" is not a valid namespace (lower-case letters, digits and '-')");
    }
    if (serviceAccount == null || !SERVICE_ACCOUNT.matcher(serviceAccount).matches()) {
      throw new IllegalArgumentException(
          "\"" + serviceAccount + "\" is not a valid service account (lower-case letters, digits, '-' and '.')");
    }
  }

  /** Throws with a readable message when {@code td} cannot be a trust domain. */
  public static String checkTrustDomain(String td) {
    if (td == null || !TRUST_DOMAIN.matcher(td).matches()) {
      throw new IllegalArgumentException("\"" + td + "\" is not a valid trust domain (lower-case DNS name, e.g. cluster.local)");
    }
    return td;
  }

  /** Parses the URI form; throws {@link IllegalArgumentException} saying what is wrong. */
  public static SpiffeId parse(String uri) {
    if (uri == null || !uri.startsWith("spiffe://")) {
      throw new IllegalArgumentException("\"" + uri + "\" is not a SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
    }
    String rest = uri.substring("spiffe://".length());
    String[] parts = rest.split("/", -1);
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
      throw new IllegalArgumentException("\"" + uri + "\" is not of the form spiffe://<trust-domain>/ns/<ns>/sa/<sa>");
    }
    return new SpiffeId(parts[0], parts[2], parts[4]);
  }

  public String uri() {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  @Override
  public String toString() {
    return uri();
  }
}
