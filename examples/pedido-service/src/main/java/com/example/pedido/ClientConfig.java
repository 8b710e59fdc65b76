package com.example.pedido;

import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The HTTP clients pedido-service uses to call usuario-service by name. Plain beans: no service
 * discovery, no load balancer, no retries. Whatever resolves "usuario-service" and routes the call
 * is outside this application.
 *
 * <p>Three more, as Spring Cloud users write them: the seed's {@code @LoadBalanced RestTemplate}
 * (verbatim), a {@code @LoadBalanced WebClient.Builder} and a {@code @LoadBalanced RestClient.Builder} (Spring Cloud LoadBalancer, no discovery
 * server configured). They are selected with the {@code @LoadBalanced} qualifier; the plain beans
 * above and Boot's auto-configured {@code WebClient.Builder} stay what they were.
 */
@Configuration
public class ClientConfig {

    /** RestTemplate on {@link java.net.HttpURLConnection} (SimpleClientHttpRequestFactory). */
    @Bean
    public RestTemplate restTemplate() {
        SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
        factory.setConnectTimeout(3000);
        factory.setReadTimeout(10000);
        RestTemplate restTemplate = new RestTemplate();
        restTemplate.setRequestFactory(factory);
        return restTemplate;
    }

    /** The JDK's own client (java.net.http). */
    @Bean
    public HttpClient httpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    }

    // the seed's bean (MeshClientConfig.meshAwareRestTemplate), verbatim
    @Bean
    @LoadBalanced
    public RestTemplate meshAwareRestTemplate() {
        RestTemplate restTemplate = new RestTemplate();

        // Configuración optimizada para Service Mesh
        SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
        factory.setConnectTimeout(3000);
        factory.setReadTimeout(10000);
        restTemplate.setRequestFactory(factory);

        return restTemplate;
    }

    /**
     * A load-balanced WebClient.Builder (Reactor Netty). Not a default candidate: injected only where
     * {@code @LoadBalanced} asks for it, and Boot's own auto-configured builder (which backs off when
     * another default-candidate builder exists) stays in place for the plain web-client option.
     */
    @Bean(defaultCandidate = false)
    @LoadBalanced
    public WebClient.Builder loadBalancedWebClientBuilder() {
        return WebClient.builder();
    }

    /**
     * A load-balanced RestClient.Builder, not a default candidate either (Boot's own RestClient.Builder,
     * pinned by spring.http.client.factory, stays for the plain rest-client option). Its request factory is
     * RestClient's own choice: Apache HttpClient 5, the first library it finds here.
     */
    @Bean(defaultCandidate = false)
    @LoadBalanced
    public RestClient.Builder loadBalancedRestClientBuilder() {
        return RestClient.builder();
    }
}
