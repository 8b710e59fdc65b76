package io.inmesh.instrumentation.okhttp;

import io.inmesh.bootstrap.Mesh;
import java.util.concurrent.CompletionStage;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.internal.connection.RealCall;

/**
 * Holds an enqueued call back before OkHttp's dispatcher while the agent waits for its first
 * snapshot, and enqueues it when the snapshot is in or the bounded start-up wait is over: no
 * dispatcher thread is parked for it, and the dispatcher's per-host slots stay free. The
 * application's {@code callTimeout} starts, as always, when the dispatcher runs the call.
 */
public final class DeferredEnqueue {
  private static final ThreadLocal<boolean[]> RESUMING = ThreadLocal.withInitial(() -> new boolean[1]);

  private DeferredEnqueue() {}

  /** True when the call was held back (the original enqueue is skipped; it runs again later). */
  public static boolean deferred(RealCall call, Callback callback) {
    try {
      if (RESUMING.get()[0] || callback == null) {
        return false;
      }
      HttpUrl url = call.request().url();
      if (!"http".equals(url.scheme())) {
        return false;
      }
      CompletionStage<Void> wait = Mesh.beforeDecision(url.host());
      if (wait == null) {
        return false;
      }
      wait.whenComplete((x, t) -> resume(call, callback));
      return true;
    } catch (Throwable t) {
      Mesh.failed("okhttp", t);
      return false;
    }
  }

  /** Enqueues the call for real: cheap (the dispatcher's queue), on whichever thread ended the wait. */
  private static void resume(RealCall call, Callback callback) {
    boolean[] resuming = RESUMING.get();
    resuming[0] = true;
    try {
      call.enqueue(callback);
    } catch (Throwable t) {
      // e.g. the application enqueued the same call again meanwhile ("Already Executed")
      Mesh.failed("okhttp", t);
    } finally {
      resuming[0] = false;
    }
  }
}
