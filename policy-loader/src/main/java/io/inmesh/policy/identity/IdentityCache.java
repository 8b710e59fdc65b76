package io.inmesh.policy.identity;

import io.inmesh.policy.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The workload's key, certificate chain and the roots it trusts, in one file ({@code identity.pem},
 * mode 0600) in the private cache directory (0700), so that a JVM restarted while the control plane
 * is down keeps its identity until the certificate expires. One file written atomically: JVMs of
 * the same service share the directory, and a key must never be read beside another JVM's chain.
 */
public final class IdentityCache {

  static final String ROOT_BLOCK = "INMESH TRUSTED ROOT";

  /** What the cache held. */
  public record Cached(WorkloadCertificate certificate, List<X509Certificate> roots) {}

  private final Path file;

  public IdentityCache(Path cacheDir) {
    this.file = cacheDir.resolve("identity.pem");
  }

  public Path file() {
    return file;
  }

  public void write(WorkloadCertificate c, List<X509Certificate> roots) throws IOException {
    PrivateFiles.directory(file.getParent());
    if (!PrivateFiles.isPrivate(file.getParent())) {
      throw new IOException(file.getParent() + " is readable by others; not caching the key there");
    }
    StringBuilder sb = new StringBuilder();
    sb.append("# inmesh workload identity ").append(c.id()).append(" until ").append(c.expires()).append('\n');
    sb.append(PemBlocks.write("PRIVATE KEY", c.key().getEncoded()));
    for (X509Certificate x : c.chain()) {
      sb.append(PemBlocks.certificate(x));
    }
    for (X509Certificate r : roots) {
      try {
        sb.append(PemBlocks.write(ROOT_BLOCK, r.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IOException(e);
      }
    }
    PrivateFiles.write(file, sb.toString().getBytes(StandardCharsets.US_ASCII));
  }

  /** The cached identity when it is for {@code namespace}/{@code serviceAccount} and still valid at {@code now}; else null. */
  public Cached read(String namespace, String serviceAccount, Instant now) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    if (!PrivateFiles.isPrivate(file.getParent()) || !"rw-------".equals(PrivateFiles.mode(file))) {
      throw new IOException(file + " or its directory is readable by others; ignoring it");
    }
    try {
      PrivateKey key = null;
      List<X509Certificate> chain = new ArrayList<>();
      List<X509Certificate> roots = new ArrayList<>();
      for (PemBlocks.Block b : PemBlocks.parse(Files.readString(file, StandardCharsets.US_ASCII))) {
        switch (b.type()) {
          case "PRIVATE KEY" -> key = PemBlocks.ecPrivateKey(b.der());
          case "CERTIFICATE" -> chain.add(PemBlocks.certificate(b.der()));
          case ROOT_BLOCK -> roots.add(PemBlocks.certificate(b.der()));
          default -> { }
        }
      }
      if (key == null || chain.isEmpty()) {
        return null;
      }
      String uri = WorkloadCertificate.uriSan(chain.get(0));
      if (uri == null) {
        return null;
      }
      SpiffeId id = SpiffeId.parse(uri);
      if (!id.namespace().equals(namespace) || !id.serviceAccount().equals(serviceAccount)) {
        return null;
      }
      WorkloadCertificate c = new WorkloadCertificate(id, key, chain, "cache");
      return c.validAt(now) ? new Cached(c, roots) : null;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("unreadable " + file + ": " + e.getMessage(), e);
    }
  }
}
