package io.inmesh.smoke.apps.feign;

import feign.Feign;
import feign.Param;
import feign.RequestLine;
import feign.RetryableException;
import feign.Retryer;
import feign.codec.ErrorDecoder;
import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One business call retried by Feign's own {@code Retryer} (three attempts, a 503 made retryable by
 * the application's {@code ErrorDecoder}), over Feign's default client, by whichever Feign this class
 * was loaded with. FeignCallerApp runs it with the Feign on its class path (13.6) and, when {@code
 * -Dfeign.old.classpath=JAR} names an older feign-core, a second copy loaded with that jar in a class
 * loader of its own (parent: the platform loader), so one JVM runs both Feign layouts (13.6 keeps the
 * retryer in a {@code MethodHandlerConfiguration}, earlier 13.x in the handler itself).
 */
public final class FeignRetryCalls {
  public interface Flaky {
    @RequestLine("GET /flaky?key={key}&failures=100&status=503")
    String flaky(@Param("key") String key);
  }

  private static final ThreadLocal<AtomicInteger> ATTEMPTS = ThreadLocal.withInitial(AtomicInteger::new);
  private static final ErrorDecoder FALLBACK = new ErrorDecoder.Default();
  private static final Flaky RETRYING =
      Feign.builder()
          .requestInterceptor(t -> ATTEMPTS.get().incrementAndGet())
          .retryer(new Retryer.Default(10, 50, 3))
          .errorDecoder((key, response) -> response.status() == 503
              ? new RetryableException(503, "unavailable", response.request().httpMethod(), (Long) null, response.request())
              : FALLBACK.decode(key, response))
          .target(Flaky.class, FeignCallerApp.BASE);
  private static volatile Method old;

  private FeignRetryCalls() {}

  /** {appAttempts, outcome, the feign-core jar that made the call}. */
  public static String[] flaky(String key) {
    AtomicInteger attempts = ATTEMPTS.get();
    attempts.set(0);
    String outcome;
    try {
      outcome = "returned:" + RETRYING.flaky(key);
    } catch (feign.FeignException e) {
      outcome = "threw:" + e.status() + ":" + e.getClass().getSimpleName();
    }
    String jar = new File(Feign.class.getProtectionDomain().getCodeSource().getLocation().getPath()).getName();
    return new String[] {String.valueOf(attempts.get()), outcome, jar};
  }

  /** The same call by the copy of this class loaded with the feign-core jar at {@code classpath}. */
  static String[] flakyWithOldFeign(String classpath, String key) throws Exception {
    Method m = old;
    if (m == null) {
      synchronized (FeignRetryCalls.class) {
        m = old;
        if (m == null) {
          URL[] urls = {FeignRetryCalls.class.getProtectionDomain().getCodeSource().getLocation(), new File(classpath).toURI().toURL()};
          ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
          m = Class.forName(FeignRetryCalls.class.getName(), true, loader).getMethod("flaky", String.class);
          old = m;
        }
      }
    }
    return (String[]) m.invoke(null, key);
  }
}
