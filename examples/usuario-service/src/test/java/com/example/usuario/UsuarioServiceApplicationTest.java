package com.example.usuario;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "server.address=127.0.0.1")
class UsuarioServiceApplicationTest {

    @LocalServerPort
    int port;

    @Autowired
    TestRestTemplate rest;

    @Autowired
    ObjectMapper mapper;

    @Test
    void servesUsuarioWithVersionAndInstance() throws Exception {
        ResponseEntity<String> response = rest.getForEntity("/usuarios/7", String.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode usuario = mapper.readTree(response.getBody());
        assertThat(usuario.get("id").asLong()).isEqualTo(7);
        assertThat(usuario.get("nombre").asText()).isEqualTo("Usuario 7");
        assertThat(usuario.get("email").asText()).isEqualTo("usuario7@example.com");
        assertThat(usuario.get("version").asText()).isEqualTo("v1");
        assertThat(usuario.get("instance").asText()).isEqualTo("127.0.0.1:" + port);
    }

    @Test
    void healthz() {
        ResponseEntity<String> response = rest.getForEntity("/healthz", String.class);
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(response.getBody()).isEqualTo("ok");
    }
}
