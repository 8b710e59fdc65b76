package com.example.usuario;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code usuario.server=netty} makes this a reactive web application (WebFlux on Reactor Netty), as
 * {@code spring.main.web-application-type=reactive} would; registered in META-INF/spring.factories.
 */
public class ReactiveServer implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if ("netty".equals(environment.getProperty("usuario.server"))) {
            environment.getPropertySources().addFirst(new MapPropertySource("usuario.server=netty",
                    Map.of("spring.main.web-application-type", "reactive")));
        }
    }
}
