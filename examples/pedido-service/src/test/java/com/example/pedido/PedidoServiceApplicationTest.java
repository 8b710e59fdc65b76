package com.example.pedido;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Starts pedido-service on a random port and a tiny JDK HttpServer on 127.0.0.1 that plays
 * usuario-service: /usuarios/{id} answers the usuario JSON, except id 503 (503 "no healthy
 * upstream", like a mesh with no endpoint) and id 666 (connection dropped without an answer).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"server.address=127.0.0.1", "spring.main.banner-mode=off"})
class PedidoServiceApplicationTest {

    private static final String ABSENT = "<absent>";
    private static final List<String> canaryHeadersSeen = new CopyOnWriteArrayList<>();
    private static final HttpServer usuarioStub = startUsuarioStub();

    @DynamicPropertySource
    static void usuarioUrl(DynamicPropertyRegistry registry) {
        registry.add("usuario.url",
                () -> "http://127.0.0.1:" + usuarioStub.getAddress().getPort());
    }

    @AfterAll
    static void stopStub() {
        usuarioStub.stop(0);
    }

    @Autowired
    TestRestTemplate rest;

    @Autowired
    ObjectMapper mapper;

    @BeforeEach
    void reset() {
        canaryHeadersSeen.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rest-template", "http-client", "http-client-async", "rest-client",
            "rest-template-simple", "rest-template-jdk", "rest-template-http-components", "rest-template-reactor", "rest-template-jetty",
            "rest-client-simple", "rest-client-jdk", "rest-client-http-components", "rest-client-reactor", "rest-client-jetty",
            "web-client", "web-client-reactor", "web-client-jetty", "web-client-http-components", "web-client-jdk"})
    void embedsUsuarioAndSendsNoCanaryHeaderWhenNoneCame(String client) throws Exception {
        ResponseEntity<String> response = get("/pedidos/7?client=" + client, null);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode body = mapper.readTree(response.getBody());
        assertThat(body.get("pedido").asText()).isEqualTo("pedido-7");
        assertThat(body.get("client").asText()).isEqualTo(client);
        JsonNode usuario = body.get("usuario");
        assertThat(usuario.isObject()).isTrue();
        assertThat(usuario.get("id").asLong()).isEqualTo(7);
        assertThat(usuario.get("nombre").asText()).isEqualTo("Usuario 7");
        assertThat(usuario.get("email").asText()).isEqualTo("usuario7@example.com");
        assertThat(usuario.get("version").asText()).isEqualTo("v1");
        assertThat(usuario.get("instance").asText()).isEqualTo("stub");
        assertThat(canaryHeadersSeen).containsExactly(ABSENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rest-template", "http-client", "http-client-async", "rest-client",
            "rest-template-simple", "rest-template-jdk", "rest-template-http-components", "rest-template-reactor", "rest-template-jetty",
            "rest-client-simple", "rest-client-jdk", "rest-client-http-components", "rest-client-reactor", "rest-client-jetty",
            "web-client", "web-client-reactor", "web-client-jetty", "web-client-http-components", "web-client-jdk"})
    void forwardsCanaryHeader(String client) throws Exception {
        ResponseEntity<String> response = get("/pedidos/8?client=" + client, "true");

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode body = mapper.readTree(response.getBody());
        assertThat(body.get("usuario").get("id").asLong()).isEqualTo(8);
        assertThat(canaryHeadersSeen).containsExactly("true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rest-template", "http-client", "http-client-async", "rest-client",
            "rest-template-simple", "rest-template-jdk", "rest-template-http-components", "rest-template-reactor", "rest-template-jetty",
            "rest-client-simple", "rest-client-jdk", "rest-client-http-components", "rest-client-reactor", "rest-client-jetty",
            "web-client", "web-client-reactor", "web-client-jetty", "web-client-http-components", "web-client-jdk"})
    void upstreamErrorStatusBecomes502(String client) throws Exception {
        ResponseEntity<String> response = get("/pedidos/503?client=" + client, null);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_GATEWAY);
        JsonNode body = mapper.readTree(response.getBody());
        assertThat(body.get("error").asText()).isNotBlank();
        assertThat(body.get("upstreamStatus").asInt()).isEqualTo(503);
        assertThat(body.get("upstreamBody").asText()).isEqualTo("no healthy upstream");
        assertThat(body.get("client").asText()).isEqualTo(client);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rest-template", "http-client", "http-client-async", "rest-client",
            "rest-template-simple", "rest-template-jdk", "rest-template-http-components", "rest-template-reactor", "rest-template-jetty",
            "rest-client-simple", "rest-client-jdk", "rest-client-http-components", "rest-client-reactor", "rest-client-jetty",
            "web-client", "web-client-reactor", "web-client-jetty", "web-client-http-components", "web-client-jdk"})
    void failedCallBecomes502WithUpstreamStatusZero(String client) throws Exception {
        ResponseEntity<String> response = get("/pedidos/666?client=" + client, null);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_GATEWAY);
        JsonNode body = mapper.readTree(response.getBody());
        assertThat(body.get("error").asText()).isNotBlank();
        assertThat(body.get("upstreamStatus").asInt()).isZero();
        assertThat(body.get("upstreamBody").isNull()).isTrue();
        assertThat(body.get("client").asText()).isEqualTo(client);
    }

    @Test
    void defaultClientIsRestTemplate() throws Exception {
        ResponseEntity<String> response = get("/pedidos/1", null);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(mapper.readTree(response.getBody()).get("client").asText())
                .isEqualTo("rest-template");
    }

    @Test
    void unknownClientIs400() {
        assertThat(get("/pedidos/1?client=feign", null).getStatusCode())
                .isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(canaryHeadersSeen).isEmpty();
    }

    @Test
    void healthz() {
        ResponseEntity<String> response = rest.getForEntity("/healthz", String.class);
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).isEqualTo("ok");
    }

    private ResponseEntity<String> get(String path, String canary) {
        HttpHeaders headers = new HttpHeaders();
        if (canary != null) {
            headers.set("x-canary", canary);
        }
        return rest.exchange(path, HttpMethod.GET, new HttpEntity<>(headers), String.class);
    }

    private static HttpServer startUsuarioStub() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/usuarios/", PedidoServiceApplicationTest::usuario);
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the usuario-service stub", e);
        }
    }

    private static void usuario(HttpExchange exchange) throws IOException {
        try (exchange) {
            String canary = exchange.getRequestHeaders().getFirst("x-canary");
            canaryHeadersSeen.add(canary == null ? ABSENT : canary);
            String id = exchange.getRequestURI().getPath().substring("/usuarios/".length());
            if (id.equals("666")) {
                // no answer at all: the JDK server drops the connection
                throw new IOException("dropping the connection on purpose");
            }
            if (id.equals("503")) {
                send(exchange, 503, "text/plain", "no healthy upstream");
                return;
            }
            send(exchange, 200, "application/json",
                    "{\"id\":" + id + ",\"nombre\":\"Usuario " + id + "\",\"email\":\"usuario" + id
                            + "@example.com\",\"version\":\"v1\",\"instance\":\"stub\"}");
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
