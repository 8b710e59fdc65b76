package io.inmesh.instrumentation.resilience4jretry;

import io.github.resilience4j.core.functions.CheckedConsumer;
import io.github.resilience4j.core.functions.CheckedFunction;
import io.github.resilience4j.core.functions.CheckedRunnable;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.inmesh.bootstrap.ApplicationRetries;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The function a Resilience4j {@code Retry} decorated, run inside an {@link ApplicationRetries}
 * scope: entered when the retrying execution starts on the calling thread, left when it returns or
 * throws (the final failure, or an Error), whatever happened inside.
 */
public final class ApplicationRetryScoped {
  private ApplicationRetryScoped() {}

  /** The same function scoped, or {@code decorated} itself when it is no shape Retry returns. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Object wrap(Object decorated) {
    // a Retry's decorators return lambdas, each implementing exactly one of these interfaces
    if (decorated instanceof Supplier) {
      return new ScopedSupplier((Supplier) decorated);
    }
    if (decorated instanceof Callable) {
      return new ScopedCallable((Callable) decorated);
    }
    if (decorated instanceof Runnable) {
      return new ScopedRunnable((Runnable) decorated);
    }
    if (decorated instanceof Function) {
      return new ScopedFunction((Function) decorated);
    }
    if (decorated instanceof Consumer) {
      return new ScopedConsumer((Consumer) decorated);
    }
    if (decorated instanceof CheckedSupplier) {
      return new ScopedCheckedSupplier((CheckedSupplier) decorated);
    }
    if (decorated instanceof CheckedRunnable) {
      return new ScopedCheckedRunnable((CheckedRunnable) decorated);
    }
    if (decorated instanceof CheckedFunction) {
      return new ScopedCheckedFunction((CheckedFunction) decorated);
    }
    if (decorated instanceof CheckedConsumer) {
      return new ScopedCheckedConsumer((CheckedConsumer) decorated);
    }
    return decorated;
  }

  static final class ScopedSupplier<T> implements Supplier<T> {
    private final Supplier<T> retrying;

    ScopedSupplier(Supplier<T> retrying) {
      this.retrying = retrying;
    }

    @Override
    public T get() {
      ApplicationRetries.enter();
      try {
        return retrying.get();
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedCallable<T> implements Callable<T> {
    private final Callable<T> retrying;

    ScopedCallable(Callable<T> retrying) {
      this.retrying = retrying;
    }

    @Override
    public T call() throws Exception {
      ApplicationRetries.enter();
      try {
        return retrying.call();
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedRunnable implements Runnable {
    private final Runnable retrying;

    ScopedRunnable(Runnable retrying) {
      this.retrying = retrying;
    }

    @Override
    public void run() {
      ApplicationRetries.enter();
      try {
        retrying.run();
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedFunction<T, R> implements Function<T, R> {
    private final Function<T, R> retrying;

    ScopedFunction(Function<T, R> retrying) {
      this.retrying = retrying;
    }

    @Override
    public R apply(T t) {
      ApplicationRetries.enter();
      try {
        return retrying.apply(t);
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedConsumer<T> implements Consumer<T> {
    private final Consumer<T> retrying;

    ScopedConsumer(Consumer<T> retrying) {
      this.retrying = retrying;
    }

    @Override
    public void accept(T t) {
      ApplicationRetries.enter();
      try {
        retrying.accept(t);
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedCheckedSupplier<T> implements CheckedSupplier<T> {
    private final CheckedSupplier<T> retrying;

    ScopedCheckedSupplier(CheckedSupplier<T> retrying) {
      this.retrying = retrying;
    }

    @Override
    public T get() throws Throwable {
      ApplicationRetries.enter();
      try {
        return retrying.get();
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedCheckedRunnable implements CheckedRunnable {
    private final CheckedRunnable retrying;

    ScopedCheckedRunnable(CheckedRunnable retrying) {
      this.retrying = retrying;
    }

    @Override
    public void run() throws Throwable {
      ApplicationRetries.enter();
      try {
        retrying.run();
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedCheckedFunction<T, R> implements CheckedFunction<T, R> {
    private final CheckedFunction<T, R> retrying;

    ScopedCheckedFunction(CheckedFunction<T, R> retrying) {
      this.retrying = retrying;
    }

    @Override
    public R apply(T t) throws Throwable {
      ApplicationRetries.enter();
      try {
        return retrying.apply(t);
      } finally {
        ApplicationRetries.exit();
      }
    }
  }

  static final class ScopedCheckedConsumer<T> implements CheckedConsumer<T> {
    private final CheckedConsumer<T> retrying;

    ScopedCheckedConsumer(CheckedConsumer<T> retrying) {
      this.retrying = retrying;
    }

    @Override
    public void accept(T t) throws Throwable {
      ApplicationRetries.enter();
      try {
        retrying.accept(t);
      } finally {
        ApplicationRetries.exit();
      }
    }
  }
}
