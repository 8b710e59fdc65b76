package io.inmesh.agent.engine;

import io.inmesh.agent.local.LocalResponder;
import io.inmesh.bootstrap.LocalAnswer;
import io.inmesh.bootstrap.OutboundCall;
import io.inmesh.policy.compile.RouteDecision;
import java.net.InetSocketAddress;

/** The two shapes an {@link OutboundCall} takes. */
final class Calls {
  private Calls() {}

  /** Routed to a destination; each attempt gets the next endpoint (balance stage). */
  static final class Routed implements OutboundCall {
    private final RouteDecision.Routed decision;

    Routed(RouteDecision.Routed decision) {
      this.decision = decision;
    }

    @Override
    public boolean isLocalReply() {
      return false;
    }

    @Override
    public InetSocketAddress nextAddress() {
      return decision.pick();
    }

    @Override
    public String localReplyPath() {
      return null;
    }

    @Override
    public String localReplyToken() {
      return null;
    }

    @Override
    public String toString() {
      return "routed to " + decision.cluster().name();
    }
  }

  /** Answered by the mesh itself, through the local responder. */
  static final class Local implements OutboundCall {
    private final LocalResponder responder;
    private final String token;

    Local(LocalResponder responder, LocalAnswer answer) {
      this.responder = responder;
      this.token = LocalResponder.token(answer);
    }

    @Override
    public boolean isLocalReply() {
      return true;
    }

    @Override
    public InetSocketAddress nextAddress() {
      return responder.address();
    }

    @Override
    public String localReplyPath() {
      return LocalResponder.PATH_PREFIX + token;
    }

    @Override
    public String localReplyToken() {
      return token;
    }

    @Override
    public String toString() {
      return "local answer " + token;
    }
  }
}
