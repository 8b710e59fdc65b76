package io.inmesh.smoke.apps.feign;

import java.io.File;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One business call retried by Spring Framework 7's own {@code org.springframework.core.retry.RetryTemplate}
 * (spring-core 7: {@code RetryPolicy.builder().maxRetries(2)}, three attempts in all) around the JDK
 * {@code HttpClient}: each attempt that gets a 5xx throws, so the template tries again. FeignCallerApp
 * has Spring Framework 6.2 on its class path (Spring Retry, WebClient), so spring-core 7 (the jars
 * {@code -Dspring7.classpath} names) is loaded in a class loader of its own (parent: the platform
 * loader) and driven through its public API by reflection, the {@code Retryable} a proxy of it: what
 * an application compiled against Spring 7 does with {@code template.execute(() -> ...)}.
 */
final class SpringCoreRetryCalls {
  private static final HttpClient JDK = HttpClient.newHttpClient();
  private static volatile Object[] spring; // {template, Retryable class, execute method}

  private SpringCoreRetryCalls() {}

  /** {appAttempts, outcome, the spring-core jar whose RetryTemplate ran}. */
  static String[] flaky(String classpath, String base, String key) throws Exception {
    Object[] s = spring(classpath);
    AtomicInteger attempts = new AtomicInteger();
    Class<?> retryable = (Class<?>) s[1];
    InvocationHandler body = (proxy, method, args) -> {
      switch (method.getName()) {
        case "execute":
          attempts.incrementAndGet();
          HttpResponse<String> r = JDK.send(
              HttpRequest.newBuilder(URI.create(base + "/flaky?key=" + key + "&failures=100&status=503")).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() >= 500) {
            throw new IllegalStateException("status " + r.statusCode());
          }
          return r.body();
        case "getName":
          return "flaky";
        case "toString":
          return "flaky-retryable";
        case "hashCode":
          return System.identityHashCode(proxy);
        case "equals":
          return proxy == args[0];
        default:
          return InvocationHandler.invokeDefault(proxy, method, args);
      }
    };
    Object callback = Proxy.newProxyInstance(retryable.getClassLoader(), new Class<?>[] {retryable}, body);
    String outcome;
    try {
      outcome = "returned:" + ((Method) s[2]).invoke(s[0], callback);
    } catch (InvocationTargetException e) {
      // RetryException once the policy is exhausted, the last attempt's error as its cause
      Throwable last = e.getCause().getCause() != null ? e.getCause().getCause() : e.getCause();
      String status = String.valueOf(last.getMessage()).startsWith("status ") ? last.getMessage().substring(7) : "?";
      outcome = "threw:" + status + ":" + e.getCause().getClass().getSimpleName();
    }
    String jar = new File(retryable.getProtectionDomain().getCodeSource().getLocation().getPath()).getName();
    return new String[] {String.valueOf(attempts.get()), outcome, jar};
  }

  private static Object[] spring(String classpath) throws Exception {
    Object[] s = spring;
    if (s == null) {
      synchronized (SpringCoreRetryCalls.class) {
        s = spring;
        if (s == null) {
          String[] jars = classpath.split(File.pathSeparator);
          URL[] urls = new URL[jars.length];
          for (int i = 0; i < jars.length; i++) {
            urls[i] = new File(jars[i]).toURI().toURL();
          }
          ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
          Class<?> policyType = Class.forName("org.springframework.core.retry.RetryPolicy", true, loader);
          Object builder = policyType.getMethod("builder").invoke(null);
          builder.getClass().getMethod("maxRetries", long.class).invoke(builder, 2L);
          builder.getClass().getMethod("delay", Duration.class).invoke(builder, Duration.ofMillis(10));
          Object policy = builder.getClass().getMethod("build").invoke(builder);
          Class<?> templateType = Class.forName("org.springframework.core.retry.RetryTemplate", true, loader);
          Object template = templateType.getConstructor(policyType).newInstance(policy);
          Class<?> retryable = Class.forName("org.springframework.core.retry.Retryable", true, loader);
          s = new Object[] {template, retryable, templateType.getMethod("execute", retryable)};
          spring = s;
        }
      }
    }
    return s;
  }
}
