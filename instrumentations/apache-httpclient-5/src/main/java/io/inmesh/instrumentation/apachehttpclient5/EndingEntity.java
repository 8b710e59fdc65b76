package io.inmesh.instrumentation.apachehttpclient5;

import io.inmesh.bootstrap.Attempt;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;

/** A delivered response's entity that tells the attempt when its body is done (read to the end, or closed). */
public final class EndingEntity extends HttpEntityWrapper {
  private final Attempt attempt;
  private final AtomicBoolean ended = new AtomicBoolean();

  public EndingEntity(HttpEntity wrapped, Attempt attempt) {
    super(wrapped);
    this.attempt = attempt;
  }

  void end() {
    if (ended.compareAndSet(false, true)) {
      attempt.onEnd();
    }
  }

  @Override
  public InputStream getContent() throws IOException {
    InputStream in = super.getContent();
    return in == null ? null : new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
          end();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n < 0) {
          end();
        }
        return n;
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          end();
        }
      }
    };
  }

  @Override
  public void writeTo(OutputStream out) throws IOException {
    try {
      super.writeTo(out);
    } finally {
      end();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      end();
    }
  }
}
