package io.inmesh.policy.model;

import java.util.List;

/** Istio ClientTLSSettings (the mode and the names inmesh will need; file paths are not kept). */
public record ClientTlsSettings(Mode mode, String sni, List<String> subjectAltNames, String credentialName) {
  public enum Mode {
    DISABLE,
    SIMPLE,
    MUTUAL,
    ISTIO_MUTUAL
  }
}
