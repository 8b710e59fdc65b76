package com.example.pedido;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.HttpComponentsClientHttpRequestFactory;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.JettyClientHttpRequestFactory;
import org.springframework.http.client.ReactorClientHttpRequestFactory;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.HttpComponentsClientHttpConnector;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.http.client.reactive.JettyClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@code RestTemplate} and {@code RestClient} over each request factory Spring offers, as an
 * application picks one by hand: {@code simple} (HttpURLConnection), {@code jdk} (java.net.http),
 * {@code http-components} (Apache HttpClient 5), {@code reactor} (Reactor Netty), {@code jetty} (Jetty's
 * HttpClient); and {@code WebClient} over each of Spring's reactive connectors: {@code reactor}, {@code jetty}
 * (jetty-reactive-httpclient), {@code http-components} (Apache's async client), {@code jdk}. The same code on
 * Spring Framework 6.2 (Boot 3.5) and 7 (Boot 4). Each is made on first use, so a factory nobody asks for
 * never starts its library.
 */
final class SpringClients {

  /** The request factories, by the names Boot's {@code spring.http.client.factory} gives them. */
  static final List<String> FACTORIES = List.of("simple", "jdk", "http-components", "reactor", "jetty");

  /** The reactive connectors, by the names Boot's {@code spring.http.reactiveclient.connector} gives them. */
  static final List<String> CONNECTORS = List.of("reactor", "jetty", "http-components", "jdk");

  private final Map<String, Object> clients = new ConcurrentHashMap<>();

  /** {@code rest-template-<factory>}, {@code rest-client-<factory>} or {@code web-client-<connector>}; null for any other name. */
  Object client(String name) {
    for (String connector : CONNECTORS) {
      if (name.equals("web-client-" + connector)) {
        return clients.computeIfAbsent(name, n -> WebClient.builder().clientConnector(connector(connector)).build());
      }
    }
    for (String factory : FACTORIES) {
      if (name.equals("rest-template-" + factory)) {
        return clients.computeIfAbsent(name, n -> new RestTemplate(requestFactory(factory)));
      }
      if (name.equals("rest-client-" + factory)) {
        return clients.computeIfAbsent(name, n -> RestClient.builder().requestFactory(requestFactory(factory)).build());
      }
    }
    return null;
  }

  private static ClientHttpConnector connector(String name) {
    Supplier<ClientHttpConnector> connector = switch (name) {
      case "reactor" -> ReactorClientHttpConnector::new;
      case "jetty" -> JettyClientHttpConnector::new;
      case "http-components" -> HttpComponentsClientHttpConnector::new;
      case "jdk" -> JdkClientHttpConnector::new;
      default -> throw new IllegalArgumentException(name);
    };
    return connector.get();
  }

  private static ClientHttpRequestFactory requestFactory(String name) {
    Supplier<ClientHttpRequestFactory> factory = switch (name) {
      case "simple" -> SimpleClientHttpRequestFactory::new;
      case "jdk" -> JdkClientHttpRequestFactory::new;
      case "http-components" -> HttpComponentsClientHttpRequestFactory::new;
      case "reactor" -> ReactorClientHttpRequestFactory::new;
      case "jetty" -> JettyClientHttpRequestFactory::new;
      default -> throw new IllegalArgumentException(name);
    };
    return factory.get();
  }
}
