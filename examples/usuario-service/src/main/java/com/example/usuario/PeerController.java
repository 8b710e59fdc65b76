package com.example.usuario;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Who called: the {@code X-Forwarded-Client-Cert} header as the request reached the application (a
 * mesh sets it over mTLS with the caller's verified identity, as Istio's sidecars do), and what the
 * application sees of the connection (plain {@code http}, as behind a sidecar). One {@code key=value}
 * per line.
 */
// servlet servers only (Tomcat, Jetty): usuario-service-boot4 run as WebFlux on Reactor Netty serves
// the same API with its own ReactiveUsuarioController
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@RestController
public class PeerController {

    @GetMapping(value = "/peer", produces = "text/plain")
    public String peer(HttpServletRequest request) {
        String xfcc = request.getHeader("X-Forwarded-Client-Cert");
        return "xfcc=" + (xfcc == null ? "" : xfcc) + "\n"
                + "listener=" + request.getLocalAddr() + ":" + request.getLocalPort() + "\n"
                + "scheme=" + request.getScheme() + "\n";
    }
}
