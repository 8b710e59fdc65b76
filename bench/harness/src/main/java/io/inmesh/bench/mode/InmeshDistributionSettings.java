package io.inmesh.bench.mode;

import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizer;
import io.opentelemetry.sdk.autoconfigure.spi.AutoConfigurationCustomizerProvider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The OpenTelemetry settings inmesh's distribution supplies by default (which upstream
 * instrumentations are on, which resource detectors are skipped, exporters off), read out of the
 * benchmarked inmesh jar itself so that the otel-lean mode cannot drift from it: the jar's embedded
 * extension is loaded in an isolated class loader, each of its {@code
 * AutoConfigurationCustomizerProvider}s is handed a recording customizer, and the property maps
 * they supply are collected. The result is given to the stock agent as the usual {@code OTEL_*}
 * environment variables.
 */
public final class InmeshDistributionSettings {
  /** Where the inmesh agent jar embeds its extension (the upstream {@code extensions/} mechanism). */
  static final String EXTENSION_DIR = "extensions/";

  private static final Map<Path, Map<String, String>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

  private InmeshDistributionSettings() {}

  /** The properties (otel.* names), without the service name, which every mode sets per JVM. */
  public static Map<String, String> properties(Path inmeshAgentJar, Path scratchDir) {
    return CACHE.computeIfAbsent(inmeshAgentJar, jar -> {
      try {
        return read(jar, scratchDir);
      } catch (IOException | RuntimeException | LinkageError e) {
        throw new IllegalStateException("cannot read the OTel settings inmesh's distribution supplies from " + jar + ": " + e, e);
      }
    });
  }

  /** The same as environment variables: {@code otel.instrumentation.java-http-client.enabled} → {@code OTEL_INSTRUMENTATION_JAVA_HTTP_CLIENT_ENABLED}. */
  public static Map<String, String> environment(Path inmeshAgentJar, Path scratchDir) {
    Map<String, String> env = new TreeMap<>();
    properties(inmeshAgentJar, scratchDir).forEach((k, v) -> env.put(envName(k), v));
    return env;
  }

  static String envName(String property) {
    return property.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static Map<String, String> read(Path jar, Path scratchDir) throws IOException {
    List<URL> urls = new ArrayList<>();
    Files.createDirectories(scratchDir);
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        if (e.getName().startsWith(EXTENSION_DIR) && e.getName().endsWith(".jar")) {
          Path out = scratchDir.resolve(Path.of(e.getName()).getFileName());
          try (InputStream in = zip.getInputStream(e)) {
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
          }
          urls.add(out.toUri().toURL());
        }
      }
    }
    if (urls.isEmpty()) {
      throw new IOException("no " + EXTENSION_DIR + "*.jar inside");
    }
    // the agent jar too: the extension's classes refer to inmesh's bootstrap-side settings classes
    urls.add(jar.toUri().toURL());
    Map<String, String> props = new TreeMap<>();
    try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), InmeshDistributionSettings.class.getClassLoader())) {
      int providers = 0;
      for (AutoConfigurationCustomizerProvider p : ServiceLoader.load(AutoConfigurationCustomizerProvider.class, loader)) {
        if (p.getClass().getClassLoader() != loader) {
          continue;
        }
        providers++;
        p.customize(recorder(props));
      }
      if (providers == 0) {
        throw new IOException("the extension registers no AutoConfigurationCustomizerProvider");
      }
    }
    props.remove("otel.service.name");
    if (props.isEmpty()) {
      throw new IOException("the extension supplies no OTel properties");
    }
    return props;
  }

  /** A customizer that keeps what {@code addPropertiesSupplier} is given and ignores every other hook (they change no setting). */
  @SuppressWarnings("unchecked")
  private static AutoConfigurationCustomizer recorder(Map<String, String> into) {
    return (AutoConfigurationCustomizer) Proxy.newProxyInstance(
        AutoConfigurationCustomizer.class.getClassLoader(),
        new Class<?>[] {AutoConfigurationCustomizer.class},
        (proxy, method, args) -> {
          if (method.getName().equals("addPropertiesSupplier") && args != null && args.length == 1) {
            Map<String, String> m = ((Supplier<Map<String, String>>) args[0]).get();
            if (m != null) {
              into.putAll(m);
            }
          }
          if (method.getReturnType().isInstance(proxy)) {
            return proxy;
          }
          return switch (method.getName()) {
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            case "toString" -> "recording customizer";
            default -> null;
          };
        });
  }
}
