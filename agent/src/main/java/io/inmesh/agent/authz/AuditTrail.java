package io.inmesh.agent.authz;

import io.inmesh.policy.log.Log;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * The audit trail: one JSON line per denied request and per request an AUDIT policy marked,
 * written by one background thread to stdout or a file ({@code INMESH_AUDIT_LOG}). Recording never
 * blocks a request: lines go through a bounded queue, and when the writer can't keep up they are
 * dropped and counted ({@code /stats}: authorization.auditDropped).
 */
public final class AuditTrail {
  static final int CAPACITY = 8192;

  private final String sink;
  private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final LongAdder written = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private volatile Thread writer;

  /** @param sink {@code stdout}, {@code off}, or a file path (appended to) */
  public AuditTrail(String sink) {
    this.sink = sink == null ? "stdout" : sink.trim();
  }

  public boolean enabled() {
    return !sink.equalsIgnoreCase("off");
  }

  /** Queues one line; never blocks. */
  public void record(String jsonLine) {
    if (!enabled()) {
      return;
    }
    if (writer == null) {
      start();
    }
    if (!queue.offer(jsonLine)) {
      dropped.increment();
    }
  }

  private synchronized void start() {
    if (writer != null) {
      return;
    }
    Thread t = new Thread(this::run, "inmesh-audit");
    t.setDaemon(true);
    t.start();
    writer = t;
  }

  private void run() {
    PrintStream out;
    try {
      out = sink.equalsIgnoreCase("stdout") ? System.out : new PrintStream(open(sink), false, StandardCharsets.UTF_8);
    } catch (IOException e) {
      Log.once(Log.Level.ERROR, "audit-sink", "cannot open the audit trail " + sink + " (INMESH_AUDIT_LOG): " + e + "; audit lines are dropped and counted");
      while (true) {
        try {
          queue.take();
          dropped.increment();
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
    while (true) {
      try {
        String line = queue.take();
        out.println(line);
        written.increment();
        String next;
        while ((next = queue.poll()) != null) {
          out.println(next);
          written.increment();
        }
        out.flush();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        Log.once(Log.Level.ERROR, "audit-write", "cannot write the audit trail " + sink + ": " + e);
      }
    }
  }

  private static OutputStream open(String file) throws IOException {
    java.io.File f = new java.io.File(file);
    java.io.File dir = f.getAbsoluteFile().getParentFile();
    if (dir != null) {
      dir.mkdirs();
    }
    return new FileOutputStream(f, true);
  }

  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("auditSink", sink);
    m.put("auditLines", written.sum());
    m.put("auditDropped", dropped.sum());
    m.put("auditQueued", queue.size());
    return m;
  }
}
