package io.inmesh.smoke.apps.feign;

import static io.inmesh.smoke.apps.AppText.esc;
import static io.inmesh.smoke.apps.AppText.field;
import static io.inmesh.smoke.apps.AppText.first;
import static io.inmesh.smoke.apps.AppText.query;
import static io.inmesh.smoke.apps.AppText.toJson;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import feign.AsyncFeign;
import feign.Feign;
import feign.FeignException;
import feign.HeaderMap;
import feign.Param;
import feign.RequestLine;
import feign.RetryableException;
import feign.Retryer;
import feign.codec.ErrorDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.retry.annotation.AnnotationAwareRetryOperationsInterceptor;
import org.springframework.retry.annotation.Backoff;
import org.springframework.retry.annotation.Retryable;
import org.springframework.retry.support.RetryTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * An ordinary application (no inmesh code) calling {@code usuario-service} through OpenFeign
 * interfaces as users declare them, over Feign's default client ({@code Client.Default}, over
 * {@code HttpURLConnection}), over {@code feign-okhttp} and through {@code AsyncFeign} (its default
 * {@code AsyncClient.Default} runs {@code Client.Default} on an executor), and through the application retries the
 * mesh must recognise: Feign's own {@code Retryer}, Spring Retry's {@code RetryTemplate} and
 * {@code @Retryable}, and Reactor's {@code retryWhen} on Spring's {@code WebClient}.
 *
 * <p>{@code GET /call?client=feign-default|feign-okhttp|feign-async&n=N&h=name:value...}: N calls of
 * {@code GET http://usuario-service/usuarios/1}; answers {@code {"statuses":{..},"results":[{status,
 * version, listener, host}..]}} (status 0: the call threw, {@code error} says what).
 *
 * <p>{@code GET /retry?lib=L&key=K}: one business call of {@code /flaky?key=K&failures=100&status=503}
 * (the upstream answers 503 to it every time) through the application's retry L, three attempts:
 * {@code feign-retryer}, {@code feign-okhttp-retryer} (a {@code Retryer.Default} and an
 * {@code ErrorDecoder} that makes a 503 retryable, as users write one), {@code retry-template}
 * ({@code RetryTemplate} around a Feign client that never retries), {@code retryable}
 * ({@code @Retryable} on an interface, through Spring Retry's own interceptor), {@code reactor}
 * ({@code WebClient ... bodyToMono(..).retryWhen(Retry.max(2))}), {@code reactor-retry-n} (the same with
 * {@code .retry(2)}), {@code reactor-flux} / {@code reactor-flux-retry-n} ({@code bodyToFlux(..)} with
 * {@code retryWhen(Retry.max(2))} / {@code retry(2)}); and without any application retry:
 * {@code feign-async-retryer} (the same retryer and decoder on an {@code AsyncFeign} client);
 * {@code feign-never} (Feign with {@code Retryer.NEVER_RETRY}, Spring Cloud OpenFeign's default),
 * {@code feign-async-never} (AsyncFeign with {@code NEVER_RETRY}) and
 * {@code webclient} (no {@code retryWhen}); {@code feign-old-retryer}: Feign's retryer as in
 * {@code feign-retryer}, by the older feign-core that {@code -Dfeign.old.classpath} names
 * (FeignRetryCalls); {@code spring-core-retry}: Spring Framework 7's own
 * {@code org.springframework.core.retry.RetryTemplate} around the JDK {@code HttpClient}, from the
 * spring-core 7 jars {@code -Dspring7.classpath} names (SpringCoreRetryCalls); Reactor retries around
 * the JDK {@code HttpClient}, not Reactor Netty: {@code reactor-jdk} ({@code Mono.fromCallable(send)
 * .subscribeOn(boundedElastic()).retryWhen(Retry.max(2))}), {@code reactor-jdk-inline} (the same
 * without {@code subscribeOn}), {@code reactor-jdk-async} ({@code Mono.fromFuture(() -> sendAsync(..))
 * .retryWhen(..)}), and {@code jdk-mono} (the first without {@code retryWhen}: no application retry). Answers {@code {"lib":..,"appAttempts":N,"outcome":..,"feign":jar}}.
 *
 * <p>Usage: {@code FeignCallerApp <address> <port>}.
 */
public final class FeignCallerApp {
  static final String BASE = "http://usuario-service";

  /** The service as a Feign interface. */
  public interface Usuarios {
    @RequestLine("GET /usuarios/{id}")
    String usuario(@Param("id") String id, @HeaderMap Map<String, Object> headers);

    @RequestLine("GET /flaky?key={key}&failures=100&status=503")
    String flaky(@Param("key") String key);
  }

  /** The service as an {@code AsyncFeign} interface (feign-core 13). */
  public interface AsyncUsuarios {
    @RequestLine("GET /usuarios/{id}")
    CompletableFuture<String> usuario(@Param("id") String id, @HeaderMap Map<String, Object> headers);
  }

  /** The flaky call as an {@code AsyncFeign} interface. */
  public interface AsyncFlaky {
    @RequestLine("GET /flaky?key={key}&failures=100&status=503")
    CompletableFuture<String> flaky(@Param("key") String key);
  }

  /** The same business call, retried by Spring Retry's {@code @Retryable}. */
  public interface RetryableUsuarios {
    @Retryable(retryFor = FeignException.class, maxAttempts = 3, backoff = @Backoff(delay = 10))
    String flaky(String key);
  }

  /** Counts the attempts Feign itself makes (a RequestInterceptor runs once per attempt). */
  private static final ThreadLocal<AtomicInteger> ATTEMPTS = ThreadLocal.withInitial(AtomicInteger::new);

  private static final Usuarios DEFAULT_CLIENT = Feign.builder().target(Usuarios.class, BASE);
  private static final Usuarios OKHTTP_CLIENT = Feign.builder().client(new feign.okhttp.OkHttpClient()).target(Usuarios.class, BASE);
  private static final Usuarios NEVER = counted(Feign.builder().retryer(Retryer.NEVER_RETRY)).target(Usuarios.class, BASE);
  private static final Usuarios RETRYING = retrying(Feign.builder()).target(Usuarios.class, BASE);
  private static final Usuarios RETRYING_OKHTTP = retrying(Feign.builder().client(new feign.okhttp.OkHttpClient())).target(Usuarios.class, BASE);
  private static final RetryTemplate TEMPLATE =
      RetryTemplate.builder().maxAttempts(3).fixedBackoff(10).retryOn(FeignException.class).build();
  private static final RetryableUsuarios ANNOTATED = annotated();
  private static final WebClient WEB = WebClient.create();
  private static final AsyncUsuarios ASYNC_CLIENT = AsyncFeign.<Object>builder().target(AsyncUsuarios.class, BASE);
  private static final HttpClient JDK = HttpClient.newHttpClient();
  /** AsyncFeign's attempts (its interceptor runs on the thread of each attempt's start, not the caller's). */
  private static final AtomicInteger ASYNC_ATTEMPTS = new AtomicInteger();
  private static final AsyncFlaky ASYNC_RETRYING = asyncFlakyClient(new Retryer.Default(10, 50, 3));
  private static final AsyncFlaky ASYNC_NEVER = asyncFlakyClient(Retryer.NEVER_RETRY);

  /** A 5xx answer, as the application's JDK-client code turns it into an error to retry. */
  static final class StatusException extends RuntimeException {
    final int status;

    StatusException(int status) {
      super("status " + status);
      this.status = status;
    }
  }

  private FeignCallerApp() {}

  private static Feign.Builder counted(Feign.Builder b) {
    return b.requestInterceptor(t -> ATTEMPTS.get().incrementAndGet());
  }

  /** Feign's own retry, as users configure it: retry a 503 three times in all. */
  private static Feign.Builder retrying(Feign.Builder b) {
    ErrorDecoder fallback = new ErrorDecoder.Default();
    return counted(b)
        .retryer(new Retryer.Default(10, 50, 3))
        .errorDecoder((key, response) -> response.status() == 503
            ? new RetryableException(503, "unavailable", response.request().httpMethod(), (Long) null, response.request())
            : fallback.decode(key, response));
  }

  /** AsyncFeign over its default AsyncClient (Client.Default on an executor), a 503 made retryable. */
  private static AsyncFlaky asyncFlakyClient(Retryer retryer) {
    ErrorDecoder fallback = new ErrorDecoder.Default();
    return AsyncFeign.<Object>builder()
        .requestInterceptor(t -> ASYNC_ATTEMPTS.incrementAndGet())
        .retryer(retryer)
        .errorDecoder((key, response) -> response.status() == 503
            ? new RetryableException(503, "unavailable", response.request().httpMethod(), (Long) null, response.request())
            : fallback.decode(key, response))
        .target(AsyncFlaky.class, BASE);
  }

  /** One AsyncFeign business call, waited for; its attempts counted into {@code attempts}. */
  private static String asyncFlaky(AsyncFlaky client, String key, AtomicInteger attempts) {
    ASYNC_ATTEMPTS.set(0);
    try {
      return awaitAsync(client.flaky(key));
    } finally {
      attempts.set(ASYNC_ATTEMPTS.get());
    }
  }

  private static RetryableUsuarios annotated() {
    RetryableUsuarios target = NEVER::flaky;
    ProxyFactory proxy = new ProxyFactory(target);
    proxy.addInterface(RetryableUsuarios.class);
    // as Spring Retry's own RetryConfiguration does: the interceptor as a pointcut advisor's advice
    proxy.addAdvisor(new org.springframework.aop.support.DefaultPointcutAdvisor(new AnnotationAwareRetryOperationsInterceptor()));
    return (RetryableUsuarios) proxy.getProxy(FeignCallerApp.class.getClassLoader());
  }

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 64);
    server.createContext("/call", FeignCallerApp::calls);
    server.createContext("/retry", FeignCallerApp::retry);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("feign caller listening on " + server.getAddress());
  }

  private static void calls(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    String which = first(q, "client", "feign-default");
    java.util.function.BiFunction<String, Map<String, Object>, String> client = switch (which) {
      case "feign-okhttp" -> OKHTTP_CLIENT::usuario;
      case "feign-async" -> FeignCallerApp::asyncUsuario;
      default -> DEFAULT_CLIENT::usuario;
    };
    int n = Integer.parseInt(first(q, "n", "1"));
    Map<String, Object> headers = new LinkedHashMap<>();
    for (String h : q.getOrDefault("h", List.of())) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    Map<String, Integer> statuses = new TreeMap<>();
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      Map<String, String> r = new LinkedHashMap<>();
      try {
        String body = client.apply("1", headers);
        r.put("status", "200");
        for (String f : new String[] {"version", "listener", "host"}) {
          r.put(f, field(body, f));
        }
      } catch (FeignException e) {
        r.put("status", String.valueOf(e.status()));
        r.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
      } catch (RuntimeException e) {
        r.put("status", "0");
        r.put("error", e.toString());
      }
      statuses.merge(r.get("status"), 1, Integer::sum);
      list.append(list.length() > 1 ? "," : "").append(toJson(r));
    }
    answer(ex, "{\"statuses\":" + toJson(statuses) + ",\"results\":" + list.append(']') + "}");
  }

  private static void retry(HttpExchange ex) throws IOException {
    Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
    String lib = first(q, "lib", "");
    String key = first(q, "key", "");
    AtomicInteger attempts = ATTEMPTS.get();
    attempts.set(0);
    String outcome;
    String feignJar = "";
    try {
      String body = switch (lib) {
        case "feign-retryer" -> RETRYING.flaky(key);
        case "feign-okhttp-retryer" -> RETRYING_OKHTTP.flaky(key);
        case "feign-old-retryer" -> {
          // Feign's other 13.x layout, in a class loader of its own (FeignRetryCalls)
          String[] r = FeignRetryCalls.flakyWithOldFeign(System.getProperty("feign.old.classpath"), key);
          attempts.set(Integer.parseInt(r[0]));
          feignJar = r[2];
          if (r[1].startsWith("threw:")) {
            throw new IllegalStateException(r[1]);
          }
          yield r[1];
        }
        case "feign-never" -> NEVER.flaky(key);
        case "feign-async-retryer" -> asyncFlaky(ASYNC_RETRYING, key, attempts);
        case "feign-async-never" -> asyncFlaky(ASYNC_NEVER, key, attempts);
        case "retry-template" -> TEMPLATE.execute(ctx -> NEVER.flaky(key));
        case "retryable" -> ANNOTATED.flaky(key);
        case "spring-core-retry" -> {
          // Spring Framework 7's RetryTemplate, from spring-core 7 in a class loader of its own
          String[] r = SpringCoreRetryCalls.flaky(System.getProperty("spring7.classpath"), BASE, key);
          attempts.set(Integer.parseInt(r[0]));
          feignJar = r[2];
          if (r[1].startsWith("threw:")) {
            throw new IllegalStateException(r[1]);
          }
          yield r[1];
        }
        case "reactor-jdk", "reactor-jdk-inline", "jdk-mono" -> {
          Mono<String> mono = Mono.fromCallable(() -> {
            attempts.incrementAndGet();
            return jdkFlaky(key);
          });
          if (!lib.equals("reactor-jdk-inline")) {
            mono = mono.subscribeOn(Schedulers.boundedElastic());
          }
          yield (lib.equals("jdk-mono") ? mono : mono.retryWhen(reactor.util.retry.Retry.max(2))).block(Duration.ofSeconds(30));
        }
        case "reactor-jdk-async" -> Mono.fromFuture(() -> {
              attempts.incrementAndGet();
              return JDK.sendAsync(flakyRequest(key), HttpResponse.BodyHandlers.ofString());
            })
            .map(FeignCallerApp::bodyOr5xx)
            .retryWhen(reactor.util.retry.Retry.max(2))
            .block(Duration.ofSeconds(30));
        case "webclient", "reactor" -> {
          var mono = WEB.get().uri(BASE + "/flaky?key=" + key + "&failures=100&status=503").retrieve().bodyToMono(String.class)
              .doOnSubscribe(s -> attempts.incrementAndGet());
          yield (lib.equals("reactor") ? mono.retryWhen(reactor.util.retry.Retry.max(2)) : mono).block(Duration.ofSeconds(30));
        }
        // the other three retry operators: Mono.retry(n), Flux.retryWhen, Flux.retry(n)
        case "reactor-retry-n" -> WEB.get().uri(BASE + "/flaky?key=" + key + "&failures=100&status=503").retrieve().bodyToMono(String.class)
            .doOnSubscribe(s -> attempts.incrementAndGet())
            .retry(2)
            .block(Duration.ofSeconds(30));
        case "reactor-flux", "reactor-flux-retry-n" -> {
          var flux = WEB.get().uri(BASE + "/flaky?key=" + key + "&failures=100&status=503").retrieve().bodyToFlux(String.class)
              .doOnSubscribe(s -> attempts.incrementAndGet());
          yield String.join("", (lib.equals("reactor-flux") ? flux.retryWhen(reactor.util.retry.Retry.max(2)) : flux.retry(2))
              .collectList().block(Duration.ofSeconds(30)));
        }
        default -> throw new IllegalArgumentException("unknown lib " + lib);
      };
      outcome = "returned:" + (body.length() > 40 ? body.substring(0, 40) : body);
    } catch (Exception e) {
      Throwable t = e;
      // Reactor's exhausted retry wraps the last error; Spring Retry and Feign rethrow it
      if (reactor.core.Exceptions.isRetryExhausted(t) && t.getCause() != null) {
        t = t.getCause();
      }
      if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).startsWith("threw:")) {
        outcome = t.getMessage(); // the older Feign's own outcome, from its class loader
      } else {
        String status = t instanceof FeignException fe ? String.valueOf(fe.status())
            : t instanceof StatusException se ? String.valueOf(se.status)
            : t instanceof org.springframework.web.reactive.function.client.WebClientResponseException we ? String.valueOf(we.getStatusCode().value()) : "?";
        outcome = "threw:" + status + ":" + t.getClass().getSimpleName();
      }
    }
    answer(ex, "{\"lib\":\"" + esc(lib) + "\",\"appAttempts\":" + attempts.get() + ",\"outcome\":\"" + esc(outcome) + "\",\"feign\":\"" + esc(feignJar) + "\"}");
  }

  /** One AsyncFeign call of the service. */
  private static String asyncUsuario(String id, Map<String, Object> headers) {
    return awaitAsync(ASYNC_CLIENT.usuario(id, headers));
  }

  /** An AsyncFeign call's result, waited for as the application would; Feign's own exception, not the future's wrapper. */
  private static String awaitAsync(CompletableFuture<String> call) {
    try {
      return call.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpRequest flakyRequest(String key) {
    return HttpRequest.newBuilder(URI.create(BASE + "/flaky?key=" + key + "&failures=100&status=503")).timeout(Duration.ofSeconds(10)).build();
  }

  /** One blocking JDK-client call of the flaky path; a 5xx becomes an error the application retries. */
  private static String jdkFlaky(String key) throws IOException, InterruptedException {
    return bodyOr5xx(JDK.send(flakyRequest(key), HttpResponse.BodyHandlers.ofString()));
  }

  private static String bodyOr5xx(HttpResponse<String> r) {
    if (r.statusCode() >= 500) {
      throw new StatusException(r.statusCode());
    }
    return r.body();
  }

  private static void answer(HttpExchange ex, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }
}
