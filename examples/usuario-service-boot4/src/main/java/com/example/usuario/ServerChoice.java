package com.example.usuario;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * One jar, three servers. Tomcat, Jetty and Reactor Netty are all on the class path, where Boot 4.0
 * picks Jetty for MVC (Boot 3 picked Tomcat); a server factory bean of the application's own makes
 * Boot's back off (Boot's customizers still apply server.address and server.port to it).
 * <ul>
 *   <li>{@code usuario.server=tomcat} (the default): Tomcat 11;
 *   <li>{@code usuario.server=jetty}: Jetty 12.1 (Spring MVC on ee11 servlets);
 *   <li>{@code usuario.server=netty}: Spring WebFlux on Reactor Netty 1.3 ({@link ReactiveServer}).
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
public class ServerChoice {

    @Bean
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnProperty(name = "usuario.server", havingValue = "tomcat", matchIfMissing = true)
    TomcatServletWebServerFactory tomcatServletWebServerFactory() {
        return new TomcatServletWebServerFactory();
    }

    @Bean
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnProperty(name = "usuario.server", havingValue = "jetty")
    JettyServletWebServerFactory jettyServletWebServerFactory() {
        return new JettyServletWebServerFactory();
    }

    @Bean
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    NettyReactiveWebServerFactory nettyReactiveWebServerFactory() {
        return new NettyReactiveWebServerFactory();
    }
}
