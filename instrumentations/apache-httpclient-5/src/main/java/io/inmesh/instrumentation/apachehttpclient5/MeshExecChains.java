package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Mesh;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.http.config.NamedElementChain;

/**
 * Puts the mesh into a client's exec chain as the builder assembles it ({@code customizeExecChain},
 * Apache's own hook, called by {@code build()} once every built-in and application element is in
 * place, so the position is decided on the real chain whatever the application disabled):
 *
 * <pre>
 *   [BACK_OFF] → REDIRECT → inmesh → RETRY (gated) → [COMPRESS] → PROTOCOL → CONNECT → MAIN_TRANSPORT
 * </pre>
 *
 * Above the retry element, so Apache's retry never re-sends a local answer or re-runs a mesh
 * decision; below the redirect element, so each redirect hop is a call of its own. The retry element
 * itself is wrapped in a gate that lets mesh attempts straight through (the mesh owns their retries)
 * and gives every other call Apache's retry unchanged. A chain already holding the mesh is left as
 * it is (a builder subclass calling {@code super.customizeExecChain}).
 */
public final class MeshExecChains {
  private static final String RETRY = "RETRY";
  private static final String REDIRECT = "REDIRECT";

  private MeshExecChains() {}

  public static void classic(NamedElementChain<ExecChainHandler> chain) {
    try {
      if (chain == null || chain.find(ClassicMeshHandler.NAME) != null) {
        return;
      }
      ClassicMeshHandler mesh = new ClassicMeshHandler();
      NamedElementChain<ExecChainHandler>.Node retry = chain.find(RETRY);
      if (retry != null) {
        chain.replace(RETRY, new ClassicRetryGate(retry.getValue()));
        chain.addBefore(RETRY, mesh, ClassicMeshHandler.NAME);
      } else if (chain.find(REDIRECT) != null) {
        chain.addAfter(REDIRECT, mesh, ClassicMeshHandler.NAME);
      } else {
        chain.addFirst(mesh, ClassicMeshHandler.NAME);
      }
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
    }
  }

  public static void async(NamedElementChain<AsyncExecChainHandler> chain) {
    try {
      if (chain == null || chain.find(AsyncMeshHandler.NAME) != null) {
        return;
      }
      AsyncMeshHandler mesh = new AsyncMeshHandler();
      NamedElementChain<AsyncExecChainHandler>.Node retry = chain.find(RETRY);
      if (retry != null) {
        chain.replace(RETRY, new AsyncRetryGate(retry.getValue()));
        chain.addBefore(RETRY, mesh, AsyncMeshHandler.NAME);
      } else if (chain.find(REDIRECT) != null) {
        chain.addAfter(REDIRECT, mesh, AsyncMeshHandler.NAME);
      } else {
        chain.addFirst(mesh, AsyncMeshHandler.NAME);
      }
    } catch (Throwable t) {
      Mesh.failed("apache-httpclient-5", t);
    }
  }
}
