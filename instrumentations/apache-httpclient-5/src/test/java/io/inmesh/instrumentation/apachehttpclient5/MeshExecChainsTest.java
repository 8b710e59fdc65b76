package io.inmesh.instrumentation.apachehttpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.config.NamedElementChain;
import org.junit.jupiter.api.Test;

/**
 * Where the mesh lands in the chains Apache's real builders assemble (the advice calls
 * {@link MeshExecChains} from {@code customizeExecChain}, as these test builders do): above the
 * retry element, which becomes the gate, below the redirect element; and still in the chain when
 * the application disabled retries or redirects.
 */
class MeshExecChainsTest {

  /** A classic builder that does what the advice does and records the chain. */
  static final class Classic extends HttpClientBuilder {
    final List<String> names = new ArrayList<>();
    Object retry;

    @Override
    protected void customizeExecChain(NamedElementChain<ExecChainHandler> chain) {
      MeshExecChains.classic(chain);
      MeshExecChains.classic(chain); // a subclass calling super: no second element
      for (NamedElementChain<ExecChainHandler>.Node n = chain.getFirst(); n != null; n = n.getNext()) {
        names.add(n.getName());
      }
      retry = chain.find("RETRY") == null ? null : chain.find("RETRY").getValue();
    }
  }

  static final class Async extends HttpAsyncClientBuilder {
    final List<String> names = new ArrayList<>();
    Object retry;

    @Override
    protected void customizeExecChain(NamedElementChain<AsyncExecChainHandler> chain) {
      MeshExecChains.async(chain);
      for (NamedElementChain<AsyncExecChainHandler>.Node n = chain.getFirst(); n != null; n = n.getNext()) {
        names.add(n.getName());
      }
      retry = chain.find("RETRY") == null ? null : chain.find("RETRY").getValue();
    }
  }

  @Test
  void classicDefaultChain_meshBetweenRedirectAndTheGatedRetry() throws Exception {
    Classic b = new Classic();
    b.build().close();
    assertThat(b.names).containsSubsequence("REDIRECT", "inmesh", "RETRY", "PROTOCOL", "CONNECT", "MAIN_TRANSPORT");
    assertThat(b.names.indexOf("inmesh")).isEqualTo(b.names.indexOf("RETRY") - 1);
    assertThat(b.names).filteredOn("inmesh"::equals).hasSize(1);
    assertThat(b.retry).isInstanceOf(ClassicRetryGate.class);
  }

  @Test
  void classicWithoutRetriesOrRedirects_meshStillAboveTheProtocolElement() throws Exception {
    Classic noRetry = new Classic();
    noRetry.disableAutomaticRetries().build().close();
    assertThat(noRetry.names).containsSubsequence("REDIRECT", "inmesh", "PROTOCOL").doesNotContain("RETRY");
    Classic neither = new Classic();
    neither.disableAutomaticRetries().disableRedirectHandling().build().close();
    assertThat(neither.names.get(0)).isEqualTo("inmesh");
    assertThat(neither.names).containsSubsequence("inmesh", "PROTOCOL", "MAIN_TRANSPORT");
  }

  @Test
  void asyncDefaultChain_meshBetweenRedirectAndTheGatedRetry() throws Exception {
    Async b = new Async();
    b.build().close();
    assertThat(b.names).containsSubsequence("REDIRECT", "inmesh", "RETRY", "PROTOCOL", "CONNECT", "MAIN_TRANSPORT");
    assertThat(b.names.indexOf("inmesh")).isEqualTo(b.names.indexOf("RETRY") - 1);
    assertThat(b.retry).isInstanceOf(AsyncRetryGate.class);
  }
}
