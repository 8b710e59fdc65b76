package io.inmesh.bench.sidecar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway CA and two leaf certificates (outbound, inbound) for the sidecar-mtls mode, made with
 * openssl in the run's work directory: ECDSA P-256, valid two days, SAN = the peer's DNS name and a
 * SPIFFE URI as a mesh would issue, usable as client and server.
 */
public final class Certificates {
  private Certificates() {}

  public static HaproxyConfig.Tls generate(Path dir, String peerName) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    run(dir, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key");
    run(dir, "openssl", "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=inmesh-bench throwaway CA", "-days", "2", "-sha256",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem");
    for (String name : List.of("outbound", "inbound")) {
      run(dir, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key");
      run(dir, "openssl", "req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
      Files.writeString(
          dir.resolve(name + ".ext"),
          "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n"
              + "subjectAltName=DNS:" + peerName + ",URI:spiffe://cluster.local/ns/default/sa/" + name + "\n",
          StandardCharsets.UTF_8);
      run(dir, "openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-sha256",
          "-extfile", name + ".ext", "-out", name + ".crt");
      Files.writeString(
          dir.resolve(name + ".pem"),
          Files.readString(dir.resolve(name + ".crt")) + Files.readString(dir.resolve(name + ".key")),
          StandardCharsets.UTF_8);
    }
    return new HaproxyConfig.Tls(
        dir.resolve("ca.pem").toString(), dir.resolve("outbound.pem").toString(), dir.resolve("inbound.pem").toString(), peerName);
  }

  private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }
}
