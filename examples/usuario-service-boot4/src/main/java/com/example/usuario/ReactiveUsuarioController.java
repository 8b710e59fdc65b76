package com.example.usuario;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** usuario-service's API on WebFlux (usuario.server=netty): the same answers as UsuarioController and PeerController. */
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@RestController
public class ReactiveUsuarioController {

    private final String version;

    public ReactiveUsuarioController(@Value("${usuario.version:v1}") String version) {
        this.version = version;
    }

    @GetMapping("/usuarios/{id}")
    public Map<String, Object> usuario(@PathVariable("id") long id, ServerHttpRequest request) {
        InetSocketAddress local = request.getLocalAddress();
        Map<String, Object> usuario = new LinkedHashMap<>();
        usuario.put("id", id);
        usuario.put("nombre", "Usuario " + id);
        usuario.put("email", "usuario" + id + "@example.com");
        usuario.put("version", version);
        usuario.put("instance", local == null ? "?" : local.getAddress().getHostAddress() + ":" + local.getPort());
        usuario.put("userAgent", String.valueOf(request.getHeaders().getFirst("User-Agent")));
        usuario.put("server", "Reactor Netty");
        return usuario;
    }

    /** As PeerController: the X-Forwarded-Client-Cert header as the request reached the application, and the listener. */
    @GetMapping(value = "/peer", produces = "text/plain")
    public String peer(ServerHttpRequest request) {
        String xfcc = request.getHeaders().getFirst("X-Forwarded-Client-Cert");
        InetSocketAddress local = request.getLocalAddress();
        return "xfcc=" + (xfcc == null ? "" : xfcc) + "\n"
                + "listener=" + (local == null ? "?" : local.getAddress().getHostAddress() + ":" + local.getPort()) + "\n"
                + "scheme=" + request.getURI().getScheme() + "\n";
    }

    @GetMapping("/healthz")
    public String healthz() {
        return "ok";
    }
}
