package com.example.pedido;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.HttpStatusCodeException;
import org.springframework.web.client.RestClientResponseException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@code GET /pedidos/{usuarioId}?client=NAME} calls usuario-service by name through the client NAME and
 * embeds the answer. The same source builds the Spring Boot 3.5 app (examples/pedido-service) and the Boot 4
 * one (examples/pedido-service-boot4): the answer is JSON text written with Jackson 2, so it does not depend
 * on which Jackson line Boot's message converters use (Boot 4's is Jackson 3).
 */
@RestController
public class PedidoController {

    static final String CANARY_HEADER = "x-canary";

    private final RestTemplate restTemplate;
    private final HttpClient httpClient;
    private final org.springframework.beans.factory.ObjectProvider<WebClient.Builder> webClientBuilder;
    /** Built on first use, so an app that never calls through WebClient never starts Reactor Netty. */
    private volatile WebClient webClient;
    /** Spring Cloud LoadBalancer's: the seed's @LoadBalanced RestTemplate and a @LoadBalanced WebClient.Builder. */
    private final RestTemplate lbRestTemplate;
    private final org.springframework.beans.factory.ObjectProvider<WebClient.Builder> lbWebClientBuilder;
    private volatile WebClient lbWebClient;
    private final org.springframework.beans.factory.ObjectProvider<RestClient.Builder> lbRestClientBuilder;
    private volatile RestClient lbRestClient;
    /** Boot's auto-configured RestClient.Builder: its request factory is the one spring.http.client.factory pins (Boot 4: spring.http.clients.imperative.factory). */
    private final org.springframework.beans.factory.ObjectProvider<RestClient.Builder> restClientBuilder;
    private volatile RestClient restClient;
    /** RestTemplate and RestClient over each of Spring's request factories. */
    private final SpringClients springClients = new SpringClients();
    private final ObjectMapper mapper = new ObjectMapper();
    private final String usuarioUrl;

    public PedidoController(@Qualifier("restTemplate") RestTemplate restTemplate, HttpClient httpClient,
            org.springframework.beans.factory.ObjectProvider<WebClient.Builder> webClientBuilder,
            org.springframework.beans.factory.ObjectProvider<RestClient.Builder> restClientBuilder,
            @Value("${usuario.url:http://usuario-service}") String usuarioUrl,
            @LoadBalanced RestTemplate lbRestTemplate,
            @LoadBalanced org.springframework.beans.factory.ObjectProvider<WebClient.Builder> lbWebClientBuilder,
            @LoadBalanced org.springframework.beans.factory.ObjectProvider<RestClient.Builder> lbRestClientBuilder) {
        this.lbRestClientBuilder = lbRestClientBuilder;
        this.restTemplate = restTemplate;
        this.lbRestTemplate = lbRestTemplate;
        this.lbWebClientBuilder = lbWebClientBuilder;
        this.httpClient = httpClient;
        this.webClientBuilder = webClientBuilder;
        this.restClientBuilder = restClientBuilder;
        this.usuarioUrl = usuarioUrl.endsWith("/")
                ? usuarioUrl.substring(0, usuarioUrl.length() - 1) : usuarioUrl;
    }

    @GetMapping(value = "/pedidos/{usuarioId}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<String> pedido(@PathVariable("usuarioId") long usuarioId,
            @RequestParam(name = "client", defaultValue = "rest-template") String client,
            @RequestHeader(name = CANARY_HEADER, required = false) String canary,
            @RequestParam(name = "service", required = false) String service) {
        String base = usuarioUrl;
        if (service != null) {
            // another service name in place of usuario-service's host (only for the load-balanced
            // clients: shows which names Spring Cloud LoadBalancer still resolves itself)
            if (!client.startsWith("lb-") || !service.matches("[a-z0-9-]{1,63}")) {
                ObjectNode body = mapper.createObjectNode();
                body.put("error", "service= is only for lb-rest-template, lb-web-client and lb-rest-client, and must be a plain name");
                return ResponseEntity.badRequest().body(body.toString());
            }
            base = URI.create(usuarioUrl).resolve("//" + service).toString();
        }
        String url = base + "/usuarios/" + usuarioId;
        Upstream upstream;
        try {
            upstream = switch (client) {
                case "rest-template" -> viaRestTemplate(restTemplate, url, canary);
                case "http-client" -> viaHttpClient(url, canary, false);
                case "http-client-async" -> viaHttpClient(url, canary, true);
                case "web-client" -> viaWebClient(url, canary);
                case "lb-rest-template" -> viaRestTemplate(lbRestTemplate, url, canary);
                case "lb-web-client" -> viaWebClient(lbWebClient(), url, canary);
                case "rest-client" -> viaRestClient(restClient(), url, canary);
                case "lb-rest-client" -> viaRestClient(lbRestClient(), url, canary);
                default -> viaSpringClient(client, url, canary);
            };
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return error(client, describe(e), 0, null);
        }
        if (upstream == null) {
            ObjectNode body = mapper.createObjectNode();
            body.put("error", "unknown client '" + client
                    + "' (use rest-template, http-client, http-client-async, web-client, lb-rest-template, lb-web-client, lb-rest-client, rest-client,"
                    + " rest-template-F / rest-client-F with F one of " + SpringClients.FACTORIES
                    + ", or web-client-C with C one of " + SpringClients.CONNECTORS + ")");
            return ResponseEntity.badRequest().body(body.toString());
        }
        if (upstream.status() >= 400) {
            return error(client, "usuario-service answered HTTP " + upstream.status(),
                    upstream.status(), upstream.body());
        }
        JsonNode usuario;
        try {
            usuario = mapper.readTree(upstream.body());
        } catch (Exception e) {
            return error(client, "usuario-service answered a body that is not JSON: " + describe(e),
                    upstream.status(), upstream.body());
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("pedido", "pedido-" + usuarioId);
        body.put("client", client);
        body.set("usuario", usuario);
        return ResponseEntity.ok(body.toString());
    }

    @GetMapping("/healthz")
    public String healthz() {
        return "ok";
    }

    private Upstream viaSpringClient(String name, String url, String canary) {
        Object client = springClients.client(name);
        if (client instanceof RestTemplate template) {
            return viaRestTemplate(template, url, canary);
        }
        if (client instanceof RestClient rest) {
            return viaRestClient(rest, url, canary);
        }
        if (client instanceof WebClient web) {
            return viaWebClient(web, url, canary);
        }
        return null;
    }

    private RestClient lbRestClient() {
        RestClient client = lbRestClient;
        if (client == null) {
            client = lbRestClientBuilder.getObject().build();
            lbRestClient = client;
        }
        return client;
    }

    private RestClient restClient() {
        RestClient client = restClient;
        if (client == null) {
            client = restClientBuilder.getObject().build();
            restClient = client;
        }
        return client;
    }

    /** RestClient's exchange: every status is an answer here (no status handler throws). */
    private Upstream viaRestClient(RestClient client, String url, String canary) {
        return client.get().uri(URI.create(url))
                .headers(h -> {
                    if (canary != null) {
                        h.set(CANARY_HEADER, canary);
                    }
                })
                .exchange((request, response) -> new Upstream(response.getStatusCode().value(),
                        new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8)));
    }

    private Upstream viaRestTemplate(RestTemplate restTemplate, String url, String canary) {
        HttpHeaders headers = new HttpHeaders();
        if (canary != null) {
            headers.set(CANARY_HEADER, canary);
        }
        try {
            ResponseEntity<String> response =
                    restTemplate.exchange(url, HttpMethod.GET, new HttpEntity<>(headers), String.class);
            return new Upstream(response.getStatusCode().value(), response.getBody());
        } catch (HttpStatusCodeException e) {
            return new Upstream(e.getStatusCode().value(), e.getResponseBodyAsString());
        } catch (RestClientResponseException e) {
            // a status code Spring does not know (UnknownHttpStatusCodeException)
            return new Upstream(e.getStatusCode().value(), e.getResponseBodyAsString());
        }
    }

    /** Spring's WebClient on Reactor Netty (Boot's auto-configured builder), blocking here only because the controller is MVC. */
    private Upstream viaWebClient(String url, String canary) {
        WebClient client = webClient;
        if (client == null) {
            client = webClientBuilder.getObject().build();
            webClient = client;
        }
        return viaWebClient(client, url, canary);
    }

    private WebClient lbWebClient() {
        WebClient client = lbWebClient;
        if (client == null) {
            client = lbWebClientBuilder.getObject().build();
            lbWebClient = client;
        }
        return client;
    }

    private Upstream viaWebClient(WebClient client, String url, String canary) {
        return client.get().uri(URI.create(url))
                .headers(h -> {
                    if (canary != null) {
                        h.set(CANARY_HEADER, canary);
                    }
                })
                .exchangeToMono(r -> r.bodyToMono(String.class).defaultIfEmpty("")
                        .map(body -> new Upstream(r.statusCode().value(), body)))
                .block(Duration.ofSeconds(10));
    }

    private Upstream viaHttpClient(String url, String canary, boolean async)
            throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .GET();
        if (canary != null) {
            builder.header(CANARY_HEADER, canary);
        }
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        if (async) {
            try {
                response = httpClient.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                        .get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        } else {
            response = httpClient.send(request, HttpResponse.BodyHandlers.ofString());
        }
        return new Upstream(response.statusCode(), response.body());
    }

    private ResponseEntity<String> error(String client, String message, int upstreamStatus,
            String upstreamBody) {
        ObjectNode body = mapper.createObjectNode();
        body.put("error", message);
        body.put("upstreamStatus", upstreamStatus);
        if (upstreamBody == null) {
            body.putNull("upstreamBody");
        } else {
            body.put("upstreamBody", upstreamBody);
        }
        body.put("client", client);
        return ResponseEntity.status(HttpStatus.BAD_GATEWAY).body(body.toString());
    }

    /** "Type: message", followed by the causes (the JDK client's ConnectException has no message). */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 500; t = t.getCause() == t ? null : t.getCause()) {
            if (text.length() > 0) {
                text.append(" <- ");
            }
            text.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                text.append(": ").append(t.getMessage());
            }
        }
        return text.toString();
    }

    private record Upstream(int status, String body) {
    }
}
