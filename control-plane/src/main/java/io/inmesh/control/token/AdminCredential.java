package io.inmesh.control.token;

import io.inmesh.policy.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin credential for policy writes over the network: a random bearer token in
 * {@code <data-dir>/admin-token} (0600), made on first start. Reading the data directory is the
 * admin right, so whoever can read the file may write policy.
 */
public final class AdminCredential {

  private final Path file;
  private final byte[] secret;

  private AdminCredential(Path file, byte[] secret) {
    this.file = file;
    this.secret = secret;
  }

  public static AdminCredential loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve("admin-token");
    if (!Files.exists(file)) {
      byte[] k = new byte[32];
      new SecureRandom().nextBytes(k);
      PrivateFiles.write(file, (Base64.getUrlEncoder().withoutPadding().encodeToString(k) + "\n").getBytes(StandardCharsets.US_ASCII));
    }
    return new AdminCredential(file, Files.readString(file, StandardCharsets.US_ASCII).trim().getBytes(StandardCharsets.US_ASCII));
  }

  public Path file() {
    return file;
  }

  /** Compares in constant time, so the answer's timing says nothing about the secret. */
  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(secret, presented.trim().getBytes(StandardCharsets.US_ASCII));
  }
}
