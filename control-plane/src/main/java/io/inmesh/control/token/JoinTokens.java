package io.inmesh.control.token;

import io.inmesh.policy.files.PrivateFiles;
import io.inmesh.policy.identity.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Join tokens, kept under {@code <data-dir>/tokens} (0700). A token is
 * {@code inmesh1.<base64url(id:namespace:serviceAccount:expiry)>.<base64url(HMAC-SHA256)>}, keyed by
 * {@code signing.key} (0600): the control plane checks one without a lookup, so a token made while
 * it runs works at once, and whoever can read the data directory (the admin) is the only one who can
 * make one. Revocation lists the id in {@code revoked} (re-read when it changes).
 */
public final class JoinTokens {

  public static final String PREFIX = "inmesh1.";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** A token refused, with the reason the agent is told. */
  public static final class Invalid extends Exception {
    public Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private final Path dir;
  private final Clock clock;
  private volatile Set<String> revoked = Set.of();
  private volatile long revokedStamp = Long.MIN_VALUE;

  public JoinTokens(Path dataDir, Clock clock) {
    this.dir = dataDir.resolve("tokens");
    this.clock = clock;
  }

  public String create(String namespace, String serviceAccount, Duration ttl) throws IOException {
    new SpiffeId("cluster.local", namespace, serviceAccount); // validates both names
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("--ttl must be positive");
    }
    byte[] idBytes = new byte[9];
    RANDOM.nextBytes(idBytes);
    String id = B64.encodeToString(idBytes);
    long exp = clock.instant().plus(ttl).getEpochSecond();
    byte[] payload = (id + ":" + namespace + ":" + serviceAccount + ":" + exp).getBytes(StandardCharsets.UTF_8);
    return PREFIX + B64.encodeToString(payload) + "." + B64.encodeToString(mac(key(true), payload));
  }

  /** The token's claims when it is genuine, unexpired and not revoked. */
  public JoinToken verify(String token) throws Invalid {
    JoinToken t = decode(token);
    if (!clock.instant().isBefore(t.expires())) {
      throw new Invalid("the join token expired at " + t.expires() + "; create a new one with `inmesh token create`");
    }
    if (revokedIds().contains(t.id())) {
      throw new Invalid("the join token " + t.id() + " was revoked");
    }
    return t;
  }

  /** Revokes by token or by id; returns the id. */
  public String revoke(String tokenOrId) throws IOException {
    String id;
    if (tokenOrId.startsWith(PREFIX)) {
      try {
        id = decode(tokenOrId).id();
      } catch (Invalid e) {
        throw new IOException("not a token of this data directory: " + e.getMessage());
      }
    } else {
      id = tokenOrId.trim();
      if (!id.matches("[A-Za-z0-9_-]{12}")) {
        throw new IOException("\"" + tokenOrId + "\" is neither a token nor a token id");
      }
    }
    Set<String> ids = new HashSet<>(readRevoked());
    if (ids.add(id)) {
      PrivateFiles.directory(dir);
      PrivateFiles.write(dir.resolve("revoked"), (String.join("\n", new java.util.TreeSet<>(ids)) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return id;
  }

  private JoinToken decode(String token) throws Invalid {
    if (token == null || !token.startsWith(PREFIX)) {
      throw new Invalid("not an inmesh join token (it starts with " + PREFIX + ")");
    }
    String[] parts = token.trim().substring(PREFIX.length()).split("\\.");
    if (parts.length != 2) {
      throw new Invalid("malformed join token");
    }
    byte[] payload;
    byte[] sig;
    try {
      payload = B64D.decode(parts[0]);
      sig = B64D.decode(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new Invalid("malformed join token");
    }
    byte[] key;
    try {
      key = key(false);
    } catch (IOException e) {
      throw new Invalid("this control plane has no token key (" + e.getMessage() + ")");
    }
    if (!MessageDigest.isEqual(mac(key, payload), sig)) {
      throw new Invalid("the join token was not made from this control plane's data directory");
    }
    String[] f = new String(payload, StandardCharsets.UTF_8).split(":");
    if (f.length != 4) {
      throw new Invalid("malformed join token");
    }
    return new JoinToken(f[0], f[1], f[2], Instant.ofEpochSecond(Long.parseLong(f[3])));
  }

  private Set<String> revokedIds() {
    Path file = dir.resolve("revoked");
    long stamp;
    try {
      stamp = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() ^ Files.size(file) : -1;
    } catch (IOException e) {
      stamp = -2;
    }
    if (stamp != revokedStamp) {
      revoked = readRevoked();
      revokedStamp = stamp;
    }
    return revoked;
  }

  private Set<String> readRevoked() {
    try {
      Set<String> ids = new HashSet<>();
      for (String line : Files.readAllLines(dir.resolve("revoked"), StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          ids.add(line.trim());
        }
      }
      return Set.copyOf(ids);
    } catch (java.nio.file.NoSuchFileException e) {
      return Set.of();
    } catch (IOException e) {
      // unreadable revocation list: refusing every token is the safe reading
      throw new IllegalStateException("cannot read " + dir.resolve("revoked") + ": " + e.getMessage(), e);
    }
  }

  private synchronized byte[] key(boolean create) throws IOException {
    Path file = dir.resolve("signing.key");
    if (!Files.exists(file)) {
      if (!create) {
        throw new IOException("no " + file + " (no token was ever created)");
      }
      PrivateFiles.directory(dir);
      byte[] k = new byte[32];
      RANDOM.nextBytes(k);
      PrivateFiles.write(file, B64.encodeToString(k).getBytes(StandardCharsets.US_ASCII));
    }
    return B64D.decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
  }

  private static byte[] mac(byte[] key, byte[] payload) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
