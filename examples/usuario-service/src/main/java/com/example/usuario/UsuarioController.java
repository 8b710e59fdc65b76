package com.example.usuario;

import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

// servlet servers only (Tomcat, Jetty): usuario-service-boot4 run as WebFlux on Reactor Netty serves
// the same API with its own ReactiveUsuarioController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@RestController
public class UsuarioController {

    private final String version;

    public UsuarioController(@Value("${usuario.version:v1}") String version) {
        this.version = version;
    }

    @GetMapping("/usuarios/{id}")
    public Map<String, Object> usuario(@PathVariable("id") long id, HttpServletRequest request) {
        Map<String, Object> usuario = new LinkedHashMap<>();
        usuario.put("id", id);
        usuario.put("nombre", "Usuario " + id);
        usuario.put("email", "usuario" + id + "@example.com");
        usuario.put("version", version);
        usuario.put("instance", request.getLocalAddr() + ":" + request.getLocalPort());
        // which HTTP client called (each library sends its own User-Agent), and which server answered
        usuario.put("userAgent", String.valueOf(request.getHeader("User-Agent")));
        usuario.put("server", request.getServletContext().getServerInfo());
        return usuario;
    }

    @GetMapping("/healthz")
    public String healthz() {
        return "ok";
    }
}
