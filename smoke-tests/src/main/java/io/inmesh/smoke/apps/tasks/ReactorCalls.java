package io.inmesh.smoke.apps.tasks;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.ReactorClientHttpRequestFactory;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;

/**
 * TaskCallerApp's Reactor clients, built as users build them (no inmesh code):
 *
 * <ul>
 *   <li>{@code webclient}: Spring's {@code WebClient} over Reactor Netty, configured like the seed's
 *       {@code MeshClientConfig.meshAwareWebClient} (a 3 s connect timeout), the application's own
 *       timeout a Reactor {@code timeout()} on the call as in the seed's {@code MeshAwareUsuarioClient};
 *   <li>{@code restclient}: Spring's {@code RestClient} over {@code ReactorClientHttpRequestFactory}
 *       on the same Reactor Netty client (a blocking client, run on a thread allowed to block);
 *   <li>{@code reactor-netty}: the bare Reactor Netty {@code HttpClient}, headers set with
 *       {@code headers(..)}, the body sent with {@code send(..)}, the answer read with
 *       {@code responseSingle}.
 * </ul>
 *
 * <p>With {@code -Dtasks.blockhound=true} and BlockHound on the class path, BlockHound is installed first, with a callback that prints every
 * blocking call made on a non-blocking thread (Reactor's schedulers, Netty's event loops) as a line
 * starting {@value #BLOCKED}; a deliberate blocking call on a parallel thread proves it is live
 * ({@value #LIVE}). The test reads both from the application's output.
 */
final class ReactorCalls {
  static final String BLOCKED = "[blockhound] blocking call on a non-blocking thread:";
  static final String LIVE = "[blockhound] installed; a probe sleep on a parallel thread was caught";
  private static final AtomicInteger CAUGHT = new AtomicInteger();
  private static volatile boolean probing;
  private static boolean installed;
  private static final java.util.Queue<String> REPORTS = new java.util.concurrent.ConcurrentLinkedQueue<>();

  private static final HttpClient REACTOR = HttpClient.create().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 3000);
  private static final WebClient WEB = WebClient.builder().clientConnector(new ReactorClientHttpConnector(REACTOR)).build();
  private static final RestClient REST = RestClient.builder().requestFactory(new ReactorClientHttpRequestFactory(REACTOR)).build();

  private ReactorCalls() {}

  /** One call; returns {status, x-inmesh-reason, body}. A timeout of the application's own is thrown as "timed out". */
  static String[] call(String client, String url, String method, byte[] body, List<String[]> headers, long timeoutMs) throws Exception {
    installBlockHound();
    Mono<String[]> answer =
        switch (client) {
          case "webclient" -> webClient(url, method, body, headers);
          case "reactor-netty" -> reactorNetty(url, method, body, headers);
          // a blocking client: on a thread allowed to block, as an application would run it
          case "restclient" -> Mono.fromCallable(() -> restClient(url, method, body, headers)).subscribeOn(Schedulers.boundedElastic());
          default -> throw new IllegalArgumentException("unknown client " + client);
        };
    try {
      // subscribed on a non-blocking thread (as from a WebFlux handler): the mesh's decision, its
      // start-up wait, delays and backoffs all run where BlockHound would catch a blocking call
      String[] r = answer.subscribeOn(Schedulers.parallel()).timeout(Duration.ofMillis(timeoutMs)).block(Duration.ofMillis(timeoutMs + 30_000));
      if (r == null) {
        throw new IllegalStateException("no answer");
      }
      return r;
    } catch (RuntimeException e) {
      Throwable t = Exceptions.unwrap(e);
      for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (c instanceof TimeoutException || c.getClass().getSimpleName().equals("ReadTimeoutException")) {
          throw new TimeoutException("timed out (" + c.getClass().getSimpleName() + ")");
        }
      }
      throw t instanceof Exception ex ? ex : e;
    }
  }

  private static Mono<String[]> webClient(String url, String method, byte[] body, List<String[]> headers) {
    WebClient.RequestBodySpec spec = WEB.method(org.springframework.http.HttpMethod.valueOf(method)).uri(URI.create(url));
    for (String[] h : headers) {
      spec.header(h[0], h[1]);
    }
    WebClient.RequestHeadersSpec<?> request = body.length > 0 ? spec.bodyValue(body) : spec;
    return request
        .exchangeToMono(r -> r.toEntity(String.class))
        .map(e -> new String[] {String.valueOf(e.getStatusCode().value()), reason(e), e.getBody() == null ? "" : e.getBody()});
  }

  private static String[] restClient(String url, String method, byte[] body, List<String[]> headers) {
    RestClient.RequestBodySpec spec = REST.method(org.springframework.http.HttpMethod.valueOf(method)).uri(URI.create(url));
    for (String[] h : headers) {
      spec.header(h[0], h[1]);
    }
    if (body.length > 0) {
      spec.body(body);
    }
    return spec.exchange((request, response) -> {
      String reason = response.getHeaders().getFirst("x-inmesh-reason");
      return new String[] {
        String.valueOf(response.getStatusCode().value()), reason == null ? "" : reason, new String(response.getBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
      };
    });
  }

  private static String reason(ResponseEntity<String> e) {
    String r = e.getHeaders().getFirst("x-inmesh-reason");
    return r == null ? "" : r;
  }

  private static Mono<String[]> reactorNetty(String url, String method, byte[] body, List<String[]> headers) {
    HttpClient c = REACTOR.headers(h -> {
      for (String[] x : headers) {
        h.add(x[0], x[1]);
      }
      if (body.length > 0) {
        h.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
      }
    });
    HttpClient.RequestSender sender = c.request(HttpMethod.valueOf(method)).uri(url);
    HttpClient.ResponseReceiver<?> receiver =
        body.length > 0 ? sender.send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body))) : sender;
    return receiver.responseSingle((response, bytes) -> {
      String status = String.valueOf(response.status().code());
      String reason = response.responseHeaders().get("x-inmesh-reason", "");
      return bytes.asString().defaultIfEmpty("").map(b -> new String[] {status, reason, b});
    });
  }

  /** Once, on the first call (not in the class initializer: the probe runs on another thread). */
  private static synchronized void installBlockHound() {
    if (installed) {
      return;
    }
    installed = true;
    if (!Boolean.getBoolean("tasks.blockhound")) {
      return;
    }
    try {
      Class.forName("reactor.blockhound.BlockHound");
    } catch (ClassNotFoundException e) {
      return;
    }
    // the static install loads the integrations (Reactor's marks its schedulers' threads
    // non-blocking, Reactor Netty's the event loops); the callback comes as one more integration
    // Loading and linking a class the first time it is used reads its jar (and lets every attached
    // agent transform it); that is the JVM warming up, once per class, not a call blocking on
    // anything: allowed, as BlockHound's own documentation advises for class loading.
    reactor.blockhound.BlockHound.install(builder -> builder
        .allowBlockingCallsInside("java.lang.ClassLoader", "loadClass")
        .allowBlockingCallsInside("java.lang.Class", "forName")
        .allowBlockingCallsInside("net.bytebuddy.agent.builder.AgentBuilder$Default$ExecutingTransformer", "transform")
        .allowBlockingCallsInside("io.netty.util.internal.NativeLibraryLoader", "load")
        // Reactor allows the short lock a cancelled timer takes in its scheduler's queue (its own
        // integration allows it in WorkerTask/SchedulerTask.dispose, which BlockHound cannot
        // re-instrument once the OpenTelemetry agent has added its fields to them): the same, one
        // level down
        .allowBlockingCallsInside("java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue", "remove")
        // the OpenTelemetry agent reads its instrumentations' version files once, on first use
        .allowBlockingCallsInside("io.opentelemetry.javaagent.shaded.instrumentation.api.internal.EmbeddedInstrumentationProperties", "findVersion")
        .blockingMethodCallback(m -> {
      if (probing) {
        CAUGHT.incrementAndGet();
        return;
      }
      StringBuilder where = new StringBuilder();
      for (StackTraceElement s : new Exception().getStackTrace()) {
        where.append("\n    at ").append(s);
      }
      // printed by a plain thread: writing to stdout here would itself block this thread
      REPORTS.add(BLOCKED + " " + m + " on " + Thread.currentThread().getName() + where);
    }));
    Thread printer = new Thread(() -> {
      for (;;) {
        String r;
        while ((r = REPORTS.poll()) != null) {
          System.out.println(r);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "blockhound-reports");
    printer.setDaemon(true);
    printer.start();
    probing = true;
    Mono.fromCallable(() -> {
          Thread.sleep(1);
          return 1;
        })
        .subscribeOn(Schedulers.parallel())
        .block(Duration.ofSeconds(30));
    probing = false;
    if (CAUGHT.get() > 0) {
      System.out.println(LIVE);
    }
  }
}
