package io.inmesh.policy.model;

import java.util.List;

/**
 * Istio ClientTLSSettings (https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings).
 *
 * @param clientCertificate MUTUAL: path of the PEM certificate (chain) to present, or null
 * @param privateKey MUTUAL: path of its PEM private key, or null
 * @param caCertificates SIMPLE/MUTUAL: path of the PEM roots that verify the server, or null (the JVM's default trust)
 * @param insecureSkipVerify SIMPLE/MUTUAL: the server's certificate and names are not verified
 */
public record ClientTlsSettings(
    Mode mode,
    String sni,
    List<String> subjectAltNames,
    String credentialName,
    String clientCertificate,
    String privateKey,
    String caCertificates,
    boolean insecureSkipVerify) {
  public enum Mode {
    DISABLE,
    SIMPLE,
    MUTUAL,
    ISTIO_MUTUAL
  }

  public ClientTlsSettings(Mode mode, String sni, List<String> subjectAltNames, String credentialName) {
    this(mode, sni, subjectAltNames, credentialName, null, null, null, false);
  }

  /** SIMPLE or MUTUAL: TLS the agent originates to a server outside the mesh's identities. */
  public boolean originates() {
    return mode == Mode.SIMPLE || mode == Mode.MUTUAL;
  }
}
