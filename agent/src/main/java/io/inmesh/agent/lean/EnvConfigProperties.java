package io.inmesh.agent.lean;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The {@link ConfigProperties} the mesh profile hands to {@code defaultEnabled}: system property
 * ({@code otel.foo.bar}), else environment ({@code OTEL_FOO_BAR}), as OpenTelemetry reads them;
 * no SDK behind it.
 */
final class EnvConfigProperties implements ConfigProperties {

  private final Map<String, String> env;
  private final Properties props;

  EnvConfigProperties(Map<String, String> env, Properties props) {
    this.env = env;
    this.props = props;
  }

  @Override
  public String getString(String name) {
    String v = props.getProperty(name);
    if (v == null) {
      v = env.get(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
    }
    return v == null || v.trim().isEmpty() ? null : v.trim();
  }

  @Override
  public Boolean getBoolean(String name) {
    String v = getString(name);
    return v == null ? null : Boolean.parseBoolean(v);
  }

  @Override
  public Integer getInt(String name) {
    String v = getString(name);
    try {
      return v == null ? null : Integer.valueOf(v);
    } catch (NumberFormatException e) {
      throw new ConfigurationException("Invalid value for property " + name + "=" + v);
    }
  }

  @Override
  public Long getLong(String name) {
    String v = getString(name);
    try {
      return v == null ? null : Long.valueOf(v);
    } catch (NumberFormatException e) {
      throw new ConfigurationException("Invalid value for property " + name + "=" + v);
    }
  }

  @Override
  public Double getDouble(String name) {
    String v = getString(name);
    try {
      return v == null ? null : Double.valueOf(v);
    } catch (NumberFormatException e) {
      throw new ConfigurationException("Invalid value for property " + name + "=" + v);
    }
  }

  @Override
  public Duration getDuration(String name) {
    String v = getString(name);
    if (v == null) {
      return null;
    }
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
      }
      if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1).trim()));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1).trim()));
      }
      return Duration.ofMillis(Long.parseLong(v));
    } catch (NumberFormatException e) {
      throw new ConfigurationException("Invalid duration property " + name + "=" + v);
    }
  }

  @Override
  public List<String> getList(String name) {
    String v = getString(name);
    if (v == null) {
      return Collections.emptyList();
    }
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      if (!s.trim().isEmpty()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  @Override
  public Map<String, String> getMap(String name) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : getList(name)) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    return out;
  }
}
