package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Attempt;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;

/** The delivered body: the attempt ends (pool slot, latency, access log) when it is read to the end or closed. */
final class EndingBody extends ResponseBody {
  private final ResponseBody delegate;
  private final Attempt attempt;
  private final AtomicBoolean ended = new AtomicBoolean();
  private BufferedSource source;

  EndingBody(ResponseBody delegate, Attempt attempt) {
    this.delegate = delegate;
    this.attempt = attempt;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public synchronized BufferedSource source() {
    if (source == null) {
      source = Okio.buffer(new EndingSource(delegate.source(), this));
    }
    return source;
  }

  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      end();
    }
  }

  void end() {
    if (ended.compareAndSet(false, true)) {
      attempt.onEnd();
    }
  }

  static final class EndingSource extends ForwardingSource {
    private final EndingBody body;

    EndingSource(Source delegate, EndingBody body) {
      super(delegate);
      this.body = body;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long n;
      try {
        n = super.read(sink, byteCount);
      } catch (IOException | RuntimeException e) {
        body.end();
        throw e;
      }
      if (n < 0) {
        body.end();
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      try {
        super.close();
      } finally {
        body.end();
      }
    }
  }
}
