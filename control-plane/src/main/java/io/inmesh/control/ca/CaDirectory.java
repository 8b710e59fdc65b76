package io.inmesh.control.ca;

import io.inmesh.policy.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * The CA's files under {@code <data-dir>/ca} (directory 0700, files 0600):
 *
 * <ul>
 *   <li>{@code key.pem}: the signing key; {@code cert.pem}: its self-signed root certificate;
 *   <li>{@code roots.pem}: every root agents must trust (two during a rotation);
 *   <li>{@code cross.pem}: during a rotation, the new root cross-signed by the old one, sent after
 *       each leaf so that a verifier that still trusts only the old root accepts new certificates.
 * </ul>
 *
 * A rotation ({@link #rotate}) makes a new root that signs from then on, keeps the old root trusted
 * and cross-signs the new one; {@link #retire} ends the overlap. Both are file operations: the
 * running control plane notices the change and reloads ({@link #fingerprint}).
 */
public final class CaDirectory {

  /** Roots outlive every certificate they sign by far; rotation is the way to replace them. */
  static final long ROOT_VALIDITY_SECONDS = Duration.ofDays(3650).toSeconds();

  private final Path dir;

  public CaDirectory(Path dataDir) {
    this.dir = dataDir.resolve("ca");
  }

  public Path dir() {
    return dir;
  }

  private Path key() {
    return dir.resolve("key.pem");
  }

  private Path cert() {
    return dir.resolve("cert.pem");
  }

  private Path roots() {
    return dir.resolve("roots.pem");
  }

  private Path cross() {
    return dir.resolve("cross.pem");
  }

  public boolean exists() {
    return Files.exists(key()) && Files.exists(cert());
  }

  /** Makes a root on first use, then loads. Returns the CA and whether it was just created. */
  public CertificateAuthority loadOrCreate(String trustDomain, Duration certTtl, Clock clock) throws IOException {
    if (!exists()) {
      PrivateFiles.directory(dir);
      KeyPair keys = Certificates.newP256();
      X509Certificate root = Certificates.root(keys, trustDomain, clock.instant(), ROOT_VALIDITY_SECONDS);
      PrivateFiles.write(key(), Pem.privateKey(keys.getPrivate()).getBytes(StandardCharsets.US_ASCII));
      PrivateFiles.write(roots(), Pem.certificate(root).getBytes(StandardCharsets.US_ASCII));
      // cert.pem last: its presence says the CA is complete
      PrivateFiles.write(cert(), Pem.certificate(root).getBytes(StandardCharsets.US_ASCII));
    }
    return load(trustDomain, certTtl, clock);
  }

  public CertificateAuthority load(String trustDomain, Duration certTtl, Clock clock) throws IOException {
    X509Certificate signer = Pem.readCertificates(read(cert()), cert().toString()).get(0);
    PrivateKey key = Pem.readPrivateKey(read(key()), key().toString());
    checkTrustDomain(signer, trustDomain);
    List<X509Certificate> roots =
        Files.exists(roots()) ? Pem.readCertificates(read(roots()), roots().toString()) : List.of(signer);
    List<X509Certificate> intermediates =
        Files.exists(cross()) ? Pem.readCertificates(read(cross()), cross().toString()) : List.of();
    return new CertificateAuthority(trustDomain, signer, key, intermediates, roots, certTtl, clock, dir + " (" + describe(roots) + ")");
  }

  /**
   * A new root signs from now on; the old root stays trusted and cross-signs the new one. Refused
   * while a previous rotation's overlap is still open (retire it first).
   */
  public X509Certificate rotate(String trustDomain, Clock clock) throws IOException {
    if (!exists()) {
      throw new IOException("no CA under " + dir + " to rotate (start the control plane with --data-dir " + dir.getParent() + " first)");
    }
    if (Files.exists(cross())) {
      throw new IOException("a rotation is already in progress (two roots in " + roots() + "); run `ca retire` once every agent has renewed, then rotate again");
    }
    X509Certificate oldRoot = Pem.readCertificates(read(cert()), cert().toString()).get(0);
    PrivateKey oldKey = Pem.readPrivateKey(read(key()), key().toString());
    checkTrustDomain(oldRoot, trustDomain);
    Instant now = clock.instant();
    if (oldRoot.getSubjectX500Principal().getName().contains("inmesh root " + now.getEpochSecond())) {
      now = now.plusSeconds(1); // two rotations in one second would name both roots alike
    }
    KeyPair keys = Certificates.newP256();
    X509Certificate newRoot = Certificates.root(keys, trustDomain, now, ROOT_VALIDITY_SECONDS);
    X509Certificate crossCert = Certificates.crossSigned(newRoot, oldRoot, oldKey, now);
    PrivateFiles.write(roots(), Pem.certificates(List.of(oldRoot, newRoot)).getBytes(StandardCharsets.US_ASCII));
    PrivateFiles.write(cross(), Pem.certificate(crossCert).getBytes(StandardCharsets.US_ASCII));
    PrivateFiles.write(key(), Pem.privateKey(keys.getPrivate()).getBytes(StandardCharsets.US_ASCII));
    PrivateFiles.write(cert(), Pem.certificate(newRoot).getBytes(StandardCharsets.US_ASCII));
    return newRoot;
  }

  /** Ends a rotation's overlap: only the current root stays trusted. */
  public X509Certificate retire() throws IOException {
    if (!exists()) {
      throw new IOException("no CA under " + dir);
    }
    X509Certificate current = Pem.readCertificates(read(cert()), cert().toString()).get(0);
    PrivateFiles.write(roots(), Pem.certificate(current).getBytes(StandardCharsets.US_ASCII));
    Files.deleteIfExists(cross());
    return current;
  }

  /** Changes whenever a rotation or retirement rewrote the files; cheap enough to check every second. */
  public String fingerprint() {
    StringBuilder sb = new StringBuilder();
    for (Path p : List.of(cert(), roots(), cross())) {
      try {
        sb.append(Arrays.hashCode(Files.readAllBytes(p))).append(',');
      } catch (IOException e) {
        sb.append("-,");
      }
    }
    return sb.toString();
  }

  /** An existing PKI's intermediate: {@code certFile} holds it first, then its issuers up to the root. */
  public static CertificateAuthority external(Path certFile, Path keyFile, String trustDomain, Duration certTtl, Clock clock) throws IOException {
    List<X509Certificate> chain = Pem.readCertificates(read(certFile), "--ca-cert " + certFile);
    PrivateKey key = Pem.readPrivateKey(read(keyFile), "--ca-key " + keyFile);
    X509Certificate signer = chain.get(0);
    if (signer.getBasicConstraints() < 0) {
      throw new IOException("--ca-cert " + certFile + ": the first certificate is not a CA certificate (basicConstraints CA:true)");
    }
    if (!matches(signer, key)) {
      throw new IOException("--ca-key " + keyFile + " is not the key of the first certificate in --ca-cert " + certFile);
    }
    // sent after every leaf: the intermediate itself and any issuers below the root, so a verifier
    // that holds only the root can build the path
    List<X509Certificate> intermediates = new ArrayList<>();
    List<X509Certificate> roots = new ArrayList<>();
    if (!signer.getSubjectX500Principal().equals(signer.getIssuerX500Principal())) {
      intermediates.add(signer);
    }
    for (int i = 1; i < chain.size(); i++) {
      X509Certificate c = chain.get(i);
      if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
        roots.add(c);
      } else {
        intermediates.add(c);
      }
    }
    if (signer.getSubjectX500Principal().equals(signer.getIssuerX500Principal())) {
      roots.add(0, signer); // a root given directly
    }
    if (roots.isEmpty()) {
      throw new IOException(
          "--ca-cert " + certFile + " must hold the intermediate followed by its issuers up to and including the root (agents are given the root)");
    }
    return new CertificateAuthority(trustDomain, signer, key, intermediates, roots, certTtl, clock, certFile + " (" + describe(roots) + ")");
  }

  private static boolean matches(X509Certificate cert, PrivateKey key) {
    try {
      String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      java.security.Signature s = java.security.Signature.getInstance(alg);
      s.initSign(key);
      byte[] probe = "inmesh".getBytes(StandardCharsets.US_ASCII);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(cert.getPublicKey());
      s.update(probe);
      return s.verify(sig);
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private void checkTrustDomain(X509Certificate root, String trustDomain) throws IOException {
    String made = organization(root.getSubjectX500Principal());
    if (made != null && !made.equals(trustDomain)) {
      throw new IOException(
          "the CA in " + dir + " was made for trust domain \"" + made + "\", not \"" + trustDomain
              + "\": start with --trust-domain " + made + ", or use a new --data-dir (every workload then needs a new certificate)");
    }
  }

  private static String organization(X500Principal p) {
    for (String part : p.getName(X500Principal.RFC2253).split(",")) {
      if (part.startsWith("O=")) {
        return part.substring(2);
      }
    }
    return null;
  }

  private static String describe(List<X509Certificate> roots) {
    return roots.size() == 1 ? "1 root" : roots.size() + " roots trusted, rotation in progress";
  }

  private static String read(Path p) throws IOException {
    try {
      return Files.readString(p, StandardCharsets.US_ASCII);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(p + " does not exist");
    }
  }
}
