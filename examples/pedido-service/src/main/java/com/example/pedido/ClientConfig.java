package com.example.pedido;

import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestTemplate;

/**
 * The HTTP clients pedido-service uses to call usuario-service by name. Plain beans: no service
 * discovery, no load balancer, no retries. Whatever resolves "usuario-service" and routes the call
 * is outside this application.
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
}
