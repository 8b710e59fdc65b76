package io.inmesh.smoke.tomcat;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The echo servlet on {@code javax.servlet} (Tomcat 9); the answer is {@link TomcatEcho}'s. */
public final class EchoServletJavax extends HttpServlet {
  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String text = TomcatEcho.answer(req.getRequestURI(), req.getQueryString(), req.getHeader("X-Forwarded-Client-Cert"), req.getLocalAddr(),
        req.getLocalPort(), req.getScheme());
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    resp.setStatus(TomcatEcho.status(req.getRequestURI()));
    resp.setContentType("text/plain;charset=UTF-8");
    resp.setContentLength(body.length);
    resp.getOutputStream().write(body);
  }
}
